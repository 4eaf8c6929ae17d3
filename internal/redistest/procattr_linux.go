package redistest

import "syscall"

// procAttr kills redis-server with the test binary, even if it crashes.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
