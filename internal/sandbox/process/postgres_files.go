package process

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// scramIterations is the PBKDF2 iteration count of the verifiers
// scramVerifier makes: PostgreSQL's own default.
const scramIterations = 4096

// scramVerifier returns the SCRAM-SHA-256 verifier PostgreSQL stores for
// password (RFC 7677, in the form of pg_authid.rolpassword), with a fresh
// random salt. The password must be ASCII with no control characters,
// which SASLprep leaves as is (redisnode.NewSecret's hex is).
func scramVerifier(password string) (string, error) {
	for _, r := range password {
		if r < 0x21 || r > 0x7e {
			return "", fmt.Errorf("scram verifier: the password must be printable ASCII")
		}
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt) // never fails on the platforms Go supports
	salted, err := pbkdf2.Key(sha256.New, password, salt, scramIterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("scram verifier: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	serverKey := hmacSHA256(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", scramIterations, b64(salt), b64(stored[:]), b64(serverKey)), nil
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// treeEntry is one folder or regular file of a tree read by readTree.
type treeEntry struct {
	rel  string      // path under the tree's root ("" for the root)
	mode os.FileMode // permission bits, with os.ModeDir for a folder
	data []byte      // a file's content
}

// readTree reads the folder root and everything under it into memory,
// folders before what they hold. Only folders and regular files are
// allowed; anything else is an error.
func readTree(root string) ([]treeEntry, error) {
	var out []treeEntry
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if rel == "." {
			rel = ""
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case e.IsDir():
			out = append(out, treeEntry{rel: rel, mode: os.ModeDir | info.Mode().Perm()})
		case e.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out = append(out, treeEntry{rel: rel, mode: info.Mode().Perm(), data: data})
		default:
			return fmt.Errorf("read %s: not a file or a folder", path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the tree %s: %w", root, err)
	}
	return out, nil
}

// writeTree writes the tree readTree read to dst, which must not exist,
// every folder and file given to uid (unless uid is negative: they are
// then the platform's). The folders are made first, then the files by a
// few goroutines at once.
func writeTree(entries []treeEntry, dst string, uid int) error {
	var files []treeEntry
	for _, e := range entries {
		if !e.mode.IsDir() {
			files = append(files, e)
			continue
		}
		path := filepath.Join(dst, e.rel)
		if err := os.Mkdir(path, e.mode.Perm()); err != nil {
			return err
		}
		if err := chownTo(path, uid); err != nil {
			return err
		}
	}
	const workers = 4
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			var err error
			for i := w; i < len(files) && err == nil; i += workers {
				err = writeFile(filepath.Join(dst, files[i].rel), files[i], uid)
			}
			errs <- err
		}()
	}
	var first error
	for range workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// writeFile makes the new file path with e's mode and content, owned by
// uid when it is not negative.
func writeFile(path string, e treeEntry, uid int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, e.mode.Perm())
	if err != nil {
		return err
	}
	if uid >= 0 {
		if err := f.Chown(uid, uid); err != nil {
			f.Close()
			return err
		}
	}
	if len(e.data) > 0 {
		if _, err := f.Write(e.data); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// copyTree copies the folder src to dst, which must not exist, as
// writeTree does.
func copyTree(src, dst string, uid int) error {
	entries, err := readTree(src)
	if err != nil {
		return err
	}
	return writeTree(entries, dst, uid)
}

func chownTo(path string, uid int) error {
	if uid < 0 {
		return nil
	}
	return os.Lchown(path, uid, uid)
}
