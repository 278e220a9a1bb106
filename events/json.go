package events

import (
	"bytes"
	"encoding/json"
)

// jsonMarshalNoEscape marshals v without HTML escaping, so the log reads as
// the text people typed (`<` stays `<`) when an operator looks at it.
func jsonMarshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
