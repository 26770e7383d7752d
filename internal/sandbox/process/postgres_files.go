package process

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
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

// copyTree copies the directory src to dst, which must not exist, keeping
// each entry's permission bits, and gives every copy to uid (unless uid is
// negative: the copies are then the platform's). Only directories and
// regular files are copied; anything else is an error.
func copyTree(src, dst string, uid int) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, st.Mode().Perm()); err != nil {
		return err
	}
	if err := chownTo(dst, uid); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		from, to := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		switch {
		case e.IsDir():
			if err := copyTree(from, to, uid); err != nil {
				return err
			}
		case e.Type().IsRegular():
			if err := copyFile(from, to, uid); err != nil {
				return err
			}
		default:
			return fmt.Errorf("copy %s: not a file or a folder", from)
		}
	}
	return nil
}

// copyFile copies the regular file src to the new file dst, with src's
// permission bits, owned by uid (when not negative).
func copyFile(src, dst string, uid int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	if uid >= 0 {
		if err := out.Chown(uid, uid); err != nil {
			out.Close()
			return err
		}
	}
	if st.Size() > 0 {
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
	}
	return out.Close()
}

func chownTo(path string, uid int) error {
	if uid < 0 {
		return nil
	}
	return os.Lchown(path, uid, uid)
}
