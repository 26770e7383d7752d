// Package workstation is a learner's shell beside their sandbox: a small
// machine of its own inside the sandbox's fence. Its init (Run, the
// program opslab-workstation) starts as root in fresh mount, process, UTS
// and IPC namespaces that the driver made inside the sandbox's network
// namespace and control group, and before the learner types anything:
//
//   - builds a new root from read-only binds of the host's system folders
//     (no set-user-id, no devices), a size-capped home and /tmp, a minimal
//     /dev, its own /proc, and an /etc/hosts that names the sandbox's
//     nodes ("redis", "broker", "replica-1", …);
//   - forwards each node's usual port on its name's address to the node
//     (a Redis node's connections are signed in as the learner's client
//     account first, so `redis-cli -h redis` works as it does at work and
//     the learner's rules apply);
//   - starts the shell as a user of its own, with no capabilities and no
//     way to gain any, and stays as the namespace's init until it ends.
//
// The Plan says all of that; drivers write it, Run carries it out.
package workstation

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
)

// PlanEnv is the environment variable that carries the Plan, as JSON, to
// opslab-workstation. The shell does not inherit it.
const PlanEnv = "OPSLAB_WORKSTATION_PLAN"

// Plan is what a workstation is made of.
type Plan struct {
	// Stage is an empty directory, inside the sandbox's own folder, where
	// the new root is put together before the switch.
	Stage string `json:"stage"`
	// UID and GID are the shell's user: not the sandbox's servers' user.
	UID int `json:"uid"`
	GID int `json:"gid"`
	// Home is the host folder bound at Dir as the learner's home: the
	// driver's capped tmpfs, kept for the sandbox's life, so that every
	// shell of the sandbox (and the checks) see the same files.
	Home string `json:"home"`
	// TmpBytes caps /tmp, which each workstation has of its own.
	TmpBytes int64 `json:"tmp_bytes"`
	// Hostname is the workstation's host name (the prompt shows it).
	Hostname string `json:"hostname"`
	// ReadOnly are host paths seen at the same path, read-only: /usr,
	// /bin, /lib, /etc, the Kafka tree.
	ReadOnly []string `json:"read_only"`
	// Files are small files written into the new root (over what a
	// read-only bind shows there): /etc/hosts, /etc/passwd, a profile.
	Files []File `json:"files"`
	// Forwards are the nodes' addresses in the workstation.
	Forwards []Forward `json:"forwards"`
	// Shell is the shell's argv; Env its whole environment.
	Shell []string `json:"shell"`
	Env   []string `json:"env"`
	// Dir is the shell's working directory (the home folder).
	Dir string `json:"dir"`
	// Binds are host paths seen at other paths, read-only (a broker's log
	// directory at /var/lib/kafka/data); see Bind.
	Binds []Bind `json:"binds,omitempty"`
}

// Bind shows the host path Source at Target in the workstation,
// read-only, with no set-user-id programs, devices or execution. Source
// must exist when the workstation starts; Target is made in the new root,
// so it may lie neither on nor under a folder the plan already uses (a
// ReadOnly path, the home, /tmp, /dev, /proc, the forwards' sockets) nor
// above one of them. The learner reads what the files' own modes let
// their user read.
type Bind struct {
	Source string `json:"source"`
	Target string `json:"target"`
}

// File is a file of the new root.
type File struct {
	Path    string `json:"path"`
	Content string `json:"content"`
	Mode    uint32 `json:"mode"`
}

// Forward makes a node answer at Listen (a name's address and the node's
// usual port, "127.0.1.1:6379") by connecting each client to To.
type Forward struct {
	Name   string `json:"name"`
	Listen string `json:"listen"`
	// Network and Address are where the node listens: "unix" and a socket
	// path in the sandbox's folder, or "tcp" and "127.0.0.1:port".
	Network string `json:"network"`
	Address string `json:"address"`
	// RedisUser and RedisPassword, when set, sign each connection in
	// (AUTH) before the client's first byte.
	RedisUser     string `json:"redis_user,omitempty"`
	RedisPassword string `json:"redis_password,omitempty"`
}

// Encode returns the plan as the JSON PlanEnv carries.
func (p Plan) Encode() (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode workstation plan: %w", err)
	}
	return string(b), nil
}

// Decode reads a plan written by Encode and validates it.
func Decode(s string) (Plan, error) {
	var p Plan
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return Plan{}, fmt.Errorf("decode workstation plan: %w", err)
	}
	return p, p.Validate()
}

// Validate returns an error naming the first thing the plan cannot do.
func (p Plan) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("workstation plan: "+format, args...)
	}
	switch {
	case !filepath.IsAbs(p.Stage):
		return bad("stage %q is not an absolute path", p.Stage)
	case p.UID <= 0 || p.GID <= 0:
		return bad("the shell must run as a user other than root, not %d:%d", p.UID, p.GID)
	case !filepath.IsAbs(p.Home):
		return bad("home folder %q is not an absolute path", p.Home)
	case p.TmpBytes <= 0:
		return bad("/tmp needs a size cap")
	case len(p.Shell) == 0 || !filepath.IsAbs(p.Shell[0]):
		return bad("the shell %q is not an absolute path", p.Shell)
	case !filepath.IsAbs(p.Dir):
		return bad("working directory %q is not an absolute path", p.Dir)
	}
	for _, ro := range p.ReadOnly {
		if !filepath.IsAbs(ro) || filepath.Clean(ro) != ro || ro == "/" {
			return bad("read-only path %q is not a clean absolute path below /", ro)
		}
	}
	if err := p.validateBinds(); err != nil {
		return err
	}
	for _, f := range p.Files {
		if !filepath.IsAbs(f.Path) || filepath.Clean(f.Path) != f.Path || f.Path == "/" {
			return bad("file %q is not a clean absolute path", f.Path)
		}
	}
	if err := validateForwards(p.Forwards); err != nil {
		return fmt.Errorf("workstation plan: %w", err)
	}
	return nil
}

// validateBinds returns an error naming the first bind of p that is not
// a clean absolute path below /, or whose target would cover, or be
// covered by, a folder the workstation already uses or another bind.
func (p Plan) validateBinds() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("workstation plan: "+format, args...)
	}
	clean := func(s string) bool { return filepath.IsAbs(s) && filepath.Clean(s) == s && s != "/" }
	// overlaps: a and b are the same path or one lies inside the other.
	overlaps := func(a, b string) bool {
		return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
	}
	// The new root's own folders (init's socket binds, its files, the old
	// root's mount point), then the plan's.
	taken := append([]string{"/tmp", "/dev", "/proc", "/run/opslab", "/.files", "/.old", filepath.Clean(p.Dir)}, p.ReadOnly...)
	for _, f := range p.Files {
		taken = append(taken, f.Path)
	}
	for _, bd := range p.Binds {
		if !clean(bd.Source) {
			return bad("bind source %q is not a clean absolute path below /", bd.Source)
		}
		if !clean(bd.Target) {
			return bad("bind target %q is not a clean absolute path below /", bd.Target)
		}
		for _, t := range taken {
			if overlaps(bd.Target, t) {
				return bad("bind target %s overlaps %s, which the workstation already uses", bd.Target, t)
			}
		}
		taken = append(taken, bd.Target)
	}
	return nil
}

// validateForwards returns an error naming the first forward that cannot
// be made: one that listens off the loopback, or forwards to something
// other than a socket path or an address and port.
func validateForwards(fws []Forward) error {
	for _, fw := range fws {
		ap, err := netip.ParseAddrPort(fw.Listen)
		if err != nil || !ap.Addr().IsLoopback() {
			return fmt.Errorf("forward %s listens on %q, not a loopback address and port", fw.Name, fw.Listen)
		}
		switch fw.Network {
		case "unix":
			if !filepath.IsAbs(fw.Address) {
				return fmt.Errorf("forward %s: socket %q is not an absolute path", fw.Name, fw.Address)
			}
		case "tcp":
			if _, err := netip.ParseAddrPort(fw.Address); err != nil {
				return fmt.Errorf("forward %s: %q is not an address and port", fw.Name, fw.Address)
			}
		default:
			return fmt.Errorf("forward %s: network %q is neither unix nor tcp", fw.Name, fw.Network)
		}
		if strings.ContainsAny(fw.Name, " \t\n") {
			return fmt.Errorf("forward name %q has spaces", fw.Name)
		}
	}
	return nil
}

// NameAddr is the loopback address the n-th node's name stands for in a
// workstation (n from 0): 127.0.1.1, 127.0.1.2, …, so that every node
// answers at its usual port under its own name.
func NameAddr(n int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 0, 1, byte(1 + n)})
}

// Hosts renders /etc/hosts for the forwards' names.
func Hosts(hostname string, fws []Forward) string {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n")
	if hostname != "" {
		b.WriteString("127.0.0.1\t" + hostname + "\n")
	}
	seen := map[string]bool{}
	for _, fw := range fws {
		if seen[fw.Name] || fw.Name == "localhost" {
			continue
		}
		seen[fw.Name] = true
		ap, _ := netip.ParseAddrPort(fw.Listen)
		b.WriteString(ap.Addr().String() + "\t" + fw.Name + "\n")
	}
	return b.String()
}
