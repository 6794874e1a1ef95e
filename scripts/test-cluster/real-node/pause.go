// The pod sandbox ("pause") process for the real test node. Upstream's pause image cannot be
// pulled (no image registry is reachable), so this Go equivalent of build/pause/linux/pause.c
// is built into a one-file image. It holds the pod's namespaces open, reaps orphaned children
// (it is PID 1 of the pod when the PID namespace is shared) and exits on SIGINT/SIGTERM.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
