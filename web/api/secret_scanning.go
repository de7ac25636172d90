package api

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/web/httpx"
)

// The bounds of a leak report.
const (
	MaxReportBody      = 1 << 20 // bytes of a report's body
	maxReportEntries   = 1000
	ScanningLimit      = "secret-scanning" // the name of the reports' rate limit, for Config.Limits
	scanningBurst      = 30                // reports an address may send at once
	scanningEvery      = time.Second       // then one more per this period
	headerKeyID        = "Github-Public-Key-Identifier"
	headerKeySignature = "Github-Public-Key-Signature"
)

// Leaks acts on the tokens a secret scanner reports (lifecycle.Leaks).
type Leaks interface {
	Report(ctx context.Context, token, url string) (ours bool, err error)
}

// The refusals of a report. Each changes nothing.
var (
	errScanningOff      = &lifecycle.Error{Code: lifecycle.NotFound, Message: "Secret scanning is off on this server."}
	errReportUnsigned   = &lifecycle.Error{Code: lifecycle.Unauthorized, Message: "The report must be signed: send " + headerKeyID + " and " + headerKeySignature + "."}
	errReportUnknownKey = &lifecycle.Error{Code: lifecycle.Unauthorized, Message: "The report is signed with a key ESP does not know."}
	errReportBadSig     = &lifecycle.Error{Code: lifecycle.Unauthorized, Message: "The report's signature does not match its body."}
	errReportMalformed  = &lifecycle.Error{Code: lifecycle.Invalid, Message: `The report must be a JSON array of at most 1000 {"token", "type", "url", "source"}.`}
	errReportTooLong    = &lifecycle.Error{Code: httpx.TooLarge, Message: "The report must be at most 1 MiB."}
	errKeysUnavailable  = &lifecycle.Error{Code: lifecycle.Unavailable, Message: "ESP cannot read the secret scanning keys right now. Try again later."}
)

// reportedToken is one entry of a report.
type reportedToken struct {
	Token  *string `json:"token"`
	Type   string  `json:"type"`
	URL    string  `json:"url"`
	Source string  `json:"source"`
}

// feedback is GitHub's answer format for one reported token.
type feedback struct {
	TokenHash string `json:"token_hash"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// SecretScanningGitHub is POST /api/v1/secret-scanning/github: a report of
// tokens found in public, signed by GitHub. A signed, well-formed report
// deactivates the live credentials it names (lifecycle.Leaks) and is
// answered with a label per token; any other changes nothing. A reported
// token is never logged.
func (h *Handlers) SecretScanningGitHub(c echo.Context) error {
	if h.scanKeys == nil {
		return errScanningOff
	}
	if err := h.takeReport(c); err != nil {
		return err
	}
	body, err := readReport(c.Request())
	if err != nil {
		return err
	}
	if err := h.verifyReport(c, body); err != nil {
		return err
	}
	entries, err := parseReport(body)
	if err != nil {
		return err
	}
	out := make([]feedback, len(entries))
	for i, e := range entries {
		ours, err := h.leaks.Report(c.Request().Context(), *e.Token, e.URL)
		if err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(*e.Token))
		out[i] = feedback{TokenHash: hex.EncodeToString(sum[:]), TokenType: e.Type, Label: "false_positive"}
		if ours {
			out[i].Label = "true_positive"
		}
	}
	return c.JSON(http.StatusOK, out)
}

// takeReport counts a report against its address's allowance.
func (h *Handlers) takeReport(c echo.Context) error {
	ok, wait, err := h.reports.Take(c.Request().Context(), httpx.LimitAddr(c))
	if err != nil || ok {
		return err
	}
	c.Response().Header().Set("Retry-After", retryAfter(wait))
	return &lifecycle.Error{Code: lifecycle.RateLimited,
		Message: "Too many reports from this address; retry after " + retryAfter(wait) + " seconds."}
}

// readReport reads the whole body, refusing one longer than MaxReportBody.
func readReport(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxReportBody {
		return nil, errReportTooLong
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxReportBody+1))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge), err == nil && len(body) > MaxReportBody:
		return nil, errReportTooLong
	case httpx.BodyTimedOut(err):
		return nil, httpx.ErrRequestTimeout
	case err != nil:
		return nil, errReportMalformed
	}
	return body, nil
}

// verifyReport checks the signature of body: base64 of an ASN.1 DER ECDSA
// signature of its SHA-256 by the key the identifier header names.
func (h *Handlers) verifyReport(c echo.Context, body []byte) error {
	id, sig := c.Request().Header.Get(headerKeyID), c.Request().Header.Get(headerKeySignature)
	if id == "" || sig == "" {
		return errReportUnsigned
	}
	der, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return errReportBadSig
	}
	key, ok, err := h.scanKeys.Key(c.Request().Context(), id)
	if err != nil {
		h.log.Error("secret scanning keys", "err", err)
		return errKeysUnavailable
	}
	if !ok {
		return errReportUnknownKey
	}
	digest := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(key, digest[:], der) {
		return errReportBadSig
	}
	return nil
}

// parseReport reads a signed body: a JSON array of at most
// maxReportEntries objects, each with a string token.
func parseReport(body []byte) ([]reportedToken, error) {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '[' {
		return nil, errReportMalformed
	}
	var entries []reportedToken
	if err := json.Unmarshal(body, &entries); err != nil || len(entries) > maxReportEntries {
		return nil, errReportMalformed
	}
	for _, e := range entries {
		if e.Token == nil {
			return nil, errReportMalformed
		}
	}
	return entries, nil
}
