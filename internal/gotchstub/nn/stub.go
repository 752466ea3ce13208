// Package nn is a stand-in: libtorch and the patched gotch are not installed.
// Run `make` (or `bash scripts/install_libtorch.sh`) in the gotrl checkout.
package nn

var _ = libtorch_not_installed__run_make_or_bash_scripts_install_libtorch_sh
