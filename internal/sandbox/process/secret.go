package process

import (
	"crypto/rand"
	"encoding/hex"
)

// newSecret returns a random password: 24 bytes, hex-encoded.
func newSecret() string {
	var b [24]byte
	// crypto/rand.Read never fails on Linux.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
