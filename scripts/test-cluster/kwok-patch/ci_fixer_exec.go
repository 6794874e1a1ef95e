// scripts/test-cluster/build.sh copies this file into sigs.k8s.io/kwok/pkg/kwok/server in a
// copy of the kwok module inside the build cache. It is not part of any module in this repo.
//
// Two gaps in kwok v0.8.0 local exec matter to ci-fixer's tests:
//   - a non-zero exit from the command is returned wrapped in fmt.Errorf, so the kubelet
//     streaming server cannot see it as an exit code and reports an internal error instead
//     of the NonZeroExitCode status with the code as a cause;
//   - a ClusterExec workDir is one directory shared by every pod, so concurrent sandboxes
//     would write into each other's files.
// build.sh rewrites two call sites in debugging_exec.go to go through these helpers.

package server

import (
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"

	utilexec "k8s.io/utils/exec"
)

// ciFixerExitCode turns an exited child process anywhere in err's chain into the
// k8s.io/utils/exec.ExitError the streaming server checks for.
func ciFixerExitCode(err error) error {
	var exitErr *osexec.ExitError
	if errors.As(err, &exitErr) && exitErr.Exited() {
		return utilexec.CodeExitError{Err: err, Code: exitErr.ExitCode()}
	}
	return err
}

// ciFixerPodWorkDir gives each pod its own directory below the configured workDir. If it
// cannot be created the command fails to start in it, which the caller sees as an exec error;
// falling back to the shared directory would hide the collision this exists to prevent.
func ciFixerPodWorkDir(base, namespace, pod string) string {
	dir := filepath.Join(base, filepath.Base(namespace), filepath.Base(pod))
	_ = os.MkdirAll(dir, 0o700)
	return dir
}
