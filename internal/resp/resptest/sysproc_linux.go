package resptest

import "syscall"

// childAttr asks the kernel to kill the child if the test binary dies
// without running its cleanups (for example on a test timeout).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
