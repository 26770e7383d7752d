package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
	"github.com/opslab/opslab/internal/sandbox/relay"
)

// startRedis starts a Redis container for spec and waits until the server
// answers on its socket. The caller removes what is left on error.
func (d *Driver) startRedis(ctx context.Context, spec sandbox.Spec) (*box, error) {
	access, node, err := d.redisNode(spec, d.mnt(spec.ID), d.labels(spec))
	if err != nil {
		return nil, err
	}
	inst := sandbox.Instance{Spec: spec, Driver: Name, Dir: d.dir(spec.ID), StartedAt: time.Now(), Redis: access}
	if err := saveAccess(inst); err != nil {
		return nil, err
	}
	id, err := d.runSingle(ctx, &inst, node.cfg, node.host, func(ctx context.Context) error { return pingRedis(ctx, inst.Redis) })
	if err != nil {
		return nil, err
	}
	b := &box{inst: inst, container: id}
	if d.opts.LoopbackTCP {
		r, err := relay.Listen(0, relay.ToUnix(inst.Redis.Endpoint.Address))
		if err != nil {
			return nil, err
		}
		b.relay = r
		b.inst.Redis.TCP = sandbox.Endpoint{Network: "tcp", Address: r.Addr()}
		if err := saveAccessPort(b.inst, r.Port(), ""); err != nil {
			r.Close()
			return nil, err
		}
	}
	return b, nil
}

// redisNode prepares the one redis-server of spec's sandbox, whose
// container mounts the folder mnt and carries labels: fresh accounts, its
// config (a socket in mnt, no TCP port). It returns the server's access
// and its container to create.
func (d *Driver) redisNode(spec sandbox.Spec, mnt string, labels map[string]string) (sandbox.RedisAccess, nodeContainer, error) {
	access := sandbox.RedisAccess{
		Endpoint: sandbox.Endpoint{Network: "unix", Address: filepath.Join(mnt, "redis.sock")},
		Admin:    sandbox.Credentials{User: redisnode.AdminUser, Password: redisnode.NewSecret()},
		Learner:  sandbox.Credentials{User: redisnode.LearnerUser, Password: redisnode.NewSecret()},
		Client:   sandbox.Credentials{User: redisnode.ClientUser, Password: redisnode.NewSecret()},
	}
	user := d.prepareMount(mnt, 999)
	conf := redisConfig(sandbox.Instance{Spec: spec, Redis: access})
	if err := writeOwned(filepath.Join(mnt, "redis.conf"), conf, user); err != nil {
		return sandbox.RedisAccess{}, nodeContainer{}, err
	}
	cfg := &container.Config{
		Image:      d.opts.RedisImage,
		Entrypoint: []string{"redis-server"},
		Cmd:        []string{mountPoint + "/redis.conf"},
		User:       user.String(),
		Labels:     labels,
		WorkingDir: dataDir,
	}
	host := d.hostConfig(spec.MemoryCap()+d.opts.RedisOverheadBytes, d.opts.RedisPids, mnt)
	host.Mounts = append(host.Mounts, tmpfs(dataDir, 2*spec.MemoryCap()), tmpfs("/tmp", 1<<20))
	return access, nodeContainer{cfg: cfg, host: host}, nil
}

// redisConfig returns the redis.conf of inst's server: a unix socket in
// the mounted directory and no TCP port, data in the container's tmpfs,
// the platform's caps, and the sandbox's accounts.
func redisConfig(inst sandbox.Instance) string {
	return redisnode.ServerConfig(redisServer(0, "", inst.Spec.MemoryCap())).File() + redisnode.UserLines(inst.Redis)
}

// redisServer describes a Redis server of a sandbox for redisnode's
// renderer: listening on port of bind ("" for no bind directive), its
// socket in the mounted directory, data in the container's tmpfs, the log
// on stdout, maxmemory capped at maxMemory.
func redisServer(port int, bind string, maxMemory int64) redisnode.Server {
	return redisnode.Server{Port: port, Bind: bind, Socket: mountPoint + "/redis.sock", Dir: dataDir, MaxMemory: maxMemory}
}

// pingRedis connects to the server as admin and sends PING.
func pingRedis(ctx context.Context, access sandbox.RedisAccess) error {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	c, err := resp.Dial(ctx, access.Endpoint.Network, access.Endpoint.Address)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Auth(ctx, access.Admin.User, access.Admin.Password); err != nil {
		return err
	}
	v, err := c.Do(ctx, "PING")
	if err != nil {
		return err
	}
	if v.Kind == resp.Error {
		return errors.New(v.Str)
	}
	return nil
}

// writeOwned writes a file of the sandbox's shared directory, readable
// only by the container's user.
func writeOwned(path, content string, user uidGid) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if user.chown {
		if err := os.Chown(path, user.uid, user.gid); err != nil {
			return fmt.Errorf("hand %s to the container's user: %w", filepath.Base(path), err)
		}
	}
	return nil
}
