package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/web/httpx"
)

// TokenAccessKey exchanges {"accessKeyId", "accessKeySecret"} for a
// bearer token.
func (h *Handlers) TokenAccessKey(c echo.Context) error {
	addr := httpx.LimitAddr(c)
	body, err := readAPIBody(c, "application/json")
	if err != nil {
		return err
	}
	access, secret, err := decodeKeyRequest(body)
	if err != nil {
		return &lifecycle.Error{Code: lifecycle.Invalid, Message: err.Error()}
	}
	t, err := h.exchange(c, keysRefusals, addr, access, secret)
	if err != nil {
		return err
	}
	return writeToken(c, t)
}

// readAPIBody reads a request body of the given media type, at most
// httpx.MaxRequestBody bytes: another type is 415, a longer body 413.
func readAPIBody(c echo.Context, mediaType string) ([]byte, error) {
	r := c.Request()
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != mediaType {
		return nil, &lifecycle.Error{Code: httpx.UnsupportedMediaType, Message: "Send the body as " + mediaType + "."}
	}
	tooLarge := &lifecycle.Error{Code: httpx.TooLarge,
		Message: fmt.Sprintf("The body must be at most %d bytes.", httpx.MaxRequestBody)}
	if r.ContentLength > httpx.MaxRequestBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, httpx.MaxRequestBody+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLarge // limitBody's reader stopped it
	}
	if httpx.BodyTimedOut(err) {
		return nil, httpx.ErrRequestTimeout
	}
	if err != nil {
		return nil, &lifecycle.Error{Code: lifecycle.Invalid, Message: "The body could not be read.", Err: err}
	}
	if len(body) > httpx.MaxRequestBody {
		return nil, tooLarge
	}
	return body, nil
}

// decodeKeyRequest parses exactly one JSON object holding exactly the two
// string fields accessKeyId and accessKeySecret: an unknown, repeated or
// missing field, another type or trailing data is refused (encoding/json
// alone would accept duplicates and match names case-insensitively).
func decodeKeyRequest(body []byte) (access, secret string, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	malformed := errors.New(`The body must be a JSON object: {"accessKeyId": "...", "accessKeySecret": "..."}.`)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", "", malformed
	}
	fields := map[string]*string{"accessKeyId": &access, "accessKeySecret": &secret}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", "", malformed
		}
		name, _ := tok.(string)
		dst, known := fields[name]
		if !known {
			return "", "", fmt.Errorf("Unknown field %q: only accessKeyId and accessKeySecret are allowed.", name)
		}
		if seen[name] {
			return "", "", fmt.Errorf("The field %s is given twice.", name)
		}
		seen[name] = true
		tok, err = dec.Token()
		if err != nil {
			return "", "", malformed
		}
		v, ok := tok.(string)
		if !ok {
			return "", "", fmt.Errorf("The field %s must be a string.", name)
		}
		*dst = v
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return "", "", malformed
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", "", malformed
	}
	for _, name := range []string{"accessKeyId", "accessKeySecret"} {
		if *fields[name] == "" {
			return "", "", fmt.Errorf("The field %s is required.", name)
		}
	}
	return access, secret, nil
}
