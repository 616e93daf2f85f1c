package report

import (
	"io"
	"os"
)

// WriteFile creates (or truncates) path and writes it with fn, reporting
// the close's error too: a full disk shows there.
func WriteFile(path string, fn func(io.Writer) error) error {
	return toFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, fn)
}

// AppendFile appends to path (created if missing) with fn, as the files
// GitHub Actions hands a step ($GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT) want.
func AppendFile(path string, fn func(io.Writer) error) error {
	return toFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, fn)
}

func toFile(path string, flag int, fn func(io.Writer) error) error {
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	err = fn(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
