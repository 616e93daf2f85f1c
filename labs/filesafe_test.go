package labs

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

// fileSafe must name trace files exactly as the regexp it replaced did.
func TestFileSafeMatchesTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`[^A-Za-z0-9._-]+`)
	for _, name := range []string{
		"", "TestElection/InitialElection", "TestElection/Initial Election",
		"a//b", "/leading", "trailing/", "x  /  y", "é-ü_ok.1", "日本/語", "a\x00b", "A-Z_a-z.0-9",
	} {
		assert.Equal(t, re.ReplaceAllString(name, "_"), fileSafe(name), "name %q", name)
	}
}
