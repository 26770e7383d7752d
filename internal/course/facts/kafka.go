package facts

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"html"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// KafkaConfigClasses are the classes of Apache Kafka 4.1 whose main method
// prints the HTML table of their configuration definitions, by the name of
// the definitions they hold.
var KafkaConfigClasses = map[string]string{
	"broker":   "kafka.server.KafkaConfig", // broker and KRaft controller
	"topic":    "org.apache.kafka.storage.internals.log.LogConfig",
	"producer": "org.apache.kafka.clients.producer.ProducerConfig",
	"consumer": "org.apache.kafka.clients.consumer.ConsumerConfig",
	"admin":    "org.apache.kafka.clients.admin.AdminClientConfig",
	// Connect's worker definitions (DistributedConfig) are left out: no
	// lesson names a Connect-only setting, and its session.timeout.ms
	// (10000) would make a wrong consumer default pass. MirrorMaker 2 and
	// Streams settings are in known_names.txt.
}

// KafkaDef is one configuration definition.
type KafkaDef struct {
	Scope   string // a key of KafkaConfigClasses
	Default string // as the docs table prints it, remarks in parentheses removed
}

var (
	docNameRE    = regexp.MustCompile(`^<a id="([^"]+)"></a>`)
	docDefaultRE = regexp.MustCompile(`<tr><th>Default:</th><td>(.*?)</td></tr>`)
)

// KafkaConfigDefs runs each class of KafkaConfigClasses with the jars of
// the Kafka tree at home (home/libs/*.jar) and returns every definition
// they print, by name (a name defined in several scopes has several).
func KafkaConfigDefs(ctx context.Context, home string) (map[string][]KafkaDef, error) {
	type result struct {
		scope string
		out   []byte
		err   error
	}
	results := make(chan result, len(KafkaConfigClasses))
	var wg sync.WaitGroup
	for scope, class := range KafkaConfigClasses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(cctx, "java", "-cp", filepath.Join(home, "libs", "*"), class)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				err = fmt.Errorf("java %s: %w: %s", class, err, strings.TrimSpace(stderr.String()))
			}
			results <- result{scope, out, err}
		}()
	}
	wg.Wait()
	close(results)
	defs := map[string][]KafkaDef{}
	for r := range results {
		if r.err != nil {
			return nil, fmt.Errorf("read kafka config definitions: %w", r.err)
		}
		parsed := parseConfigDocs(string(r.out))
		if len(parsed) == 0 {
			return nil, fmt.Errorf("read kafka config definitions: %s printed no definitions", KafkaConfigClasses[r.scope])
		}
		for name, def := range parsed {
			defs[name] = append(defs[name], KafkaDef{Scope: r.scope, Default: def})
		}
	}
	return defs, nil
}

// parseConfigDocs reads the name and default of every definition of one
// docs table (as ConfigDef.toHtml prints it).
func parseConfigDocs(doc string) map[string]string {
	out := map[string]string{}
	items := strings.Split(doc, "<h4>")
	for _, item := range items {
		m := docNameRE.FindStringSubmatch(item)
		if m == nil {
			continue
		}
		def := ""
		if d := docDefaultRE.FindStringSubmatch(item); d != nil {
			def = html.UnescapeString(d[1])
			def = strings.TrimSpace(stripParens(def))
		}
		out[m[1]] = def
	}
	return out
}

var labelRE = regexp.MustCompile(`(?m)^([A-Za-z][A-Za-z0-9]*):[ \t]`)

// KafkaJars is what the Kafka jars hold, read from their class files.
type KafkaJars struct {
	Errors  map[string]bool // constants of org.apache.kafka.common.protocol.Errors
	Enums   map[string]bool // constants of every enum class
	Classes map[string]bool // simple class names (inner classes by their own name)
	Strings map[string]bool // string constants (literals) of every class, and labels ("LeaderId:  ") without their colon
}

// ReadKafkaJars reads the class files of every jar under home/libs whose
// name starts with "kafka" or "connect".
func ReadKafkaJars(home string) (*KafkaJars, error) {
	jars, err := filepath.Glob(filepath.Join(home, "libs", "*.jar"))
	if err != nil {
		return nil, fmt.Errorf("list kafka jars: %w", err)
	}
	k := &KafkaJars{Errors: map[string]bool{}, Enums: map[string]bool{}, Classes: map[string]bool{}, Strings: map[string]bool{}}
	read := 0
	for _, jar := range jars {
		base := filepath.Base(jar)
		if !strings.HasPrefix(base, "kafka") && !strings.HasPrefix(base, "connect") {
			continue
		}
		if err := k.readJar(jar); err != nil {
			return nil, fmt.Errorf("read %s: %w", base, err)
		}
		read++
	}
	if read == 0 || len(k.Errors) == 0 {
		return nil, fmt.Errorf("read kafka jars: no Kafka jars (or no Errors class) under %s", filepath.Join(home, "libs"))
	}
	return k, nil
}

func (k *KafkaJars) readJar(path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".class") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("open %s: %w", f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Name, err)
		}
		cf, err := parseClass(data)
		if err != nil {
			return fmt.Errorf("parse %s: %w", f.Name, err)
		}
		name := strings.TrimSuffix(f.Name, ".class")
		simple := name[strings.LastIndex(name, "/")+1:]
		if i := strings.LastIndex(simple, "$"); i >= 0 {
			simple = simple[i+1:]
		}
		k.Classes[simple] = true
		for _, s := range cf.strings {
			k.Strings[s] = true
			// a printed label such as "LeaderId:    \x01\n" (a line of a
			// tool's report) also names its field
			for _, m := range labelRE.FindAllStringSubmatch(s, -1) {
				k.Strings[m[1]] = true
			}
		}
		for _, e := range cf.enumConstants {
			k.Enums[e] = true
			if name == "org/apache/kafka/common/protocol/Errors" {
				k.Errors[e] = true
			}
		}
	}
	return nil
}

// classFile is what this package needs of a Java class file.
type classFile struct {
	strings       []string // CONSTANT_String values
	enumConstants []string // names of fields with ACC_ENUM
}

// parseClass reads the constant pool and the fields of a class file (JVM
// specification, chapter 4).
func parseClass(data []byte) (*classFile, error) {
	r := bytes.NewReader(data)
	var head struct {
		Magic        uint32
		Minor, Major uint16
		Count        uint16
	}
	if err := binary.Read(r, binary.BigEndian, &head); err != nil {
		return nil, err
	}
	if head.Magic != 0xCAFEBABE {
		return nil, fmt.Errorf("not a class file")
	}
	utf8 := make(map[uint16]string)
	var stringRefs []uint16
	u1 := func() byte { b, _ := r.ReadByte(); return b }
	u2 := func() uint16 { var v uint16; _ = binary.Read(r, binary.BigEndian, &v); return v }
	skip := func(n int64) { _, _ = r.Seek(n, io.SeekCurrent) }
	for i := uint16(1); i < head.Count; i++ {
		tag := u1()
		switch tag {
		case 1: // Utf8
			n := u2()
			b := make([]byte, n)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, fmt.Errorf("constant pool: %w", err)
			}
			utf8[i] = string(b) // modified UTF-8; fine for ASCII names
		case 8: // String
			stringRefs = append(stringRefs, u2())
		case 7, 16, 19, 20: // Class, MethodType, Module, Package
			skip(2)
		case 15: // MethodHandle
			skip(3)
		case 3, 4, 9, 10, 11, 12, 17, 18: // Integer, Float, refs, NameAndType, Dynamic, InvokeDynamic
			skip(4)
		case 5, 6: // Long, Double take two slots
			skip(8)
			i++
		default:
			return nil, fmt.Errorf("constant pool: unknown tag %d", tag)
		}
	}
	cf := &classFile{}
	for _, ref := range stringRefs {
		cf.strings = append(cf.strings, utf8[ref])
	}
	skip(6) // access flags, this class, super class
	skip(int64(u2()) * 2)
	fields := u2()
	for i := uint16(0); i < fields; i++ {
		flags, name := u2(), u2()
		skip(2) // descriptor
		attrs := u2()
		for j := uint16(0); j < attrs; j++ {
			skip(2)
			var n uint32
			_ = binary.Read(r, binary.BigEndian, &n)
			skip(int64(n))
		}
		if flags&0x4000 != 0 {
			cf.enumConstants = append(cf.enumConstants, utf8[name])
		}
	}
	return cf, nil
}
