package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

func readAll(r io.Reader) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data: a misspelt field is an error, not a silent default.
func decodeStrict(body []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "malformed JSON", "%v", err)
	}
	if d.More() {
		return errorf(http.StatusBadRequest, "malformed JSON", "the body holds more than one JSON value")
	}
	var extra json.RawMessage
	if err := d.Decode(&extra); err != io.EOF {
		return errorf(http.StatusBadRequest, "malformed JSON", "trailing data after the JSON value")
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
