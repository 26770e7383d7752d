//go:build !linux

package resptest

import "syscall"

// childAttr returns no special attributes outside Linux.
func childAttr() *syscall.SysProcAttr {
	return nil
}
