package raftapi_test

import (
	"go/doc/comment"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accidentalListItems returns the bullet-list items of a doc comment (in
// the text form ast.CommentGroup.Text gives) whose text starts with a digit
// or an arithmetic sign. gofmt turns an indented comment line that starts
// with "+ ", "- " or "* " into a list item, so "last index\n//   + 1"
// renders in go doc as "last index" and a bullet "1": the sentence then
// says the opposite of what was meant.
// No item of a real list in this package starts that way.
func accidentalListItems(text string) []string {
	var p comment.Parser
	var found []string
	var walk func(blocks []comment.Block)
	walk = func(blocks []comment.Block) {
		for _, b := range blocks {
			list, ok := b.(*comment.List)
			if !ok {
				continue
			}
			for _, item := range list.Items {
				if item.Number != "" {
					// A numbered list ("1. Reply false ...") is always
					// meant: the marker is the number, not the text.
					walk(item.Content)
					continue
				}
				first := strings.TrimSpace(plainText(item.Content))
				r := []rune(first)
				if len(r) > 0 && (unicode.IsDigit(r[0]) || strings.ContainsRune("+-*/=<>", r[0])) {
					found = append(found, first)
				}
				walk(item.Content)
			}
		}
	}
	walk(p.Parse(text).Content)
	return found
}

// plainText is the text of the first paragraph of blocks.
func plainText(blocks []comment.Block) string {
	for _, b := range blocks {
		if para, ok := b.(*comment.Paragraph); ok {
			var sb strings.Builder
			for _, t := range para.Text {
				switch t := t.(type) {
				case comment.Plain:
					sb.WriteString(string(t))
				case comment.Italic:
					sb.WriteString(string(t))
				case *comment.DocLink:
					sb.WriteString("[link]")
				case *comment.Link:
					sb.WriteString("[link]")
				}
			}
			return sb.String()
		}
	}
	return ""
}

func TestAccidentalListItems(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{
			name: "the XLen line gofmt broke",
			text: "The hints:\n  - XLen: the index one past the follower's last entry (its last log index\n  - 1, counting entries covered by its snapshot).\n",
			want: []string{"1, counting entries covered by its snapshot)."},
		},
		{
			name: "a plus at the start of an indented line",
			text: "nextIndex is the last index\n  + 1 after an election.\n",
			want: []string{"1 after an election."},
		},
		{
			name: "a minus sign after a bullet",
			text: "Hints:\n  - -1 means none\n",
			want: []string{"-1 means none"},
		},
		{
			name: "a real bullet list",
			text: "Hints:\n  - XTerm: the term, or -1 if none.\n  - [Node.Start] appends.\n",
		},
		{
			name: "a numbered list",
			text: "Receiver implementation:\n 1. Reply false if Term < currentTerm.\n 2. Grant the vote.\n",
		},
		{
			name: "an unindented plus stays text",
			text: "nextIndex is the last index\n+ 1 after an election.\n",
		},
		{
			name: "arithmetic inside a line",
			text: "XLen = LastIncludedIndex + 1, which asks the leader\nto continue - 1 is never sent.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, accidentalListItems(tt.text))
		})
	}
}

// TestDocCommentsHaveNoAccidentalLists reads every comment of the contract
// (package doc, declarations, fields) the way go doc does and fails on a
// list item that a "+ 1" or "- 1" at the start of a line created.
func TestDocCommentsHaveNoAccidentalLists(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		require.NoError(t, err, "parsing %s", name)
		for _, cg := range f.Comments {
			checked++
			for _, item := range accidentalListItems(cg.Text()) {
				t.Errorf("%s: the comment renders %q as a list item in go doc; reword it so no line starts with \"+ \", \"- \" or \"* \"", fset.Position(cg.Pos()), item)
			}
		}
	}
	require.Positive(t, checked, "no comments found: the test is not reading the package")
}
