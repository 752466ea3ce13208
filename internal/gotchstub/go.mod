// A stand-in for github.com/sugarme/gotch. gotrl's go.mod points gotch here so
// that building before libtorch is installed fails with a message saying what
// to do, instead of a C compiler or linker dump. scripts/install_libtorch.sh
// (run by `make`) installs libtorch and a patched gotch and writes go.work,
// whose replace overrides this one.
module github.com/sugarme/gotch

go 1.21
