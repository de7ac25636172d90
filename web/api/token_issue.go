package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/store"
)

// Token format: "esptk_" followed by the unpadded base64url encoding of 32
// bytes from crypto/rand (256 bits), 49 characters in all. The prefix lets
// secret scanners recognise a leaked token; the database keeps only its
// SHA-256.
const (
	tokenPrefix = "esptk_"
	tokenLen    = len(tokenPrefix) + 43
)

func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// wellFormedToken reports whether t could be a token, without a database call.
func wellFormedToken(t string) bool {
	if len(t) != tokenLen || !strings.HasPrefix(t, tokenPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(t[len(tokenPrefix):])
	return err == nil
}

// tokenResponse is the answer of both token routes (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// exchangeError is why keys did not get a token. The two token routes word
// it differently: the JSON envelope on one, RFC 6749 errors on the other.
type exchangeError struct {
	status  int
	code    string // the JSON envelope's code
	oauth   string // the RFC 6749 §5.2 error
	message string
	failure bool // counts against the client address's failure budget
}

func (e *exchangeError) Error() string { return e.message }

var (
	errKeysRejected = &exchangeError{status: http.StatusUnauthorized, code: "invalid_credentials", oauth: "invalid_client",
		message: "The access key and secret key do not match activated API credentials.", failure: true}
	errFeatureOff = &exchangeError{status: http.StatusForbidden, code: "feature_disabled", oauth: "unauthorized_client",
		message: "The public API feature is turned off for this tenant."}
)

// dummyHash keeps the time of a lookup for an unknown access key close to
// that of a wrong secret.
var dummyHash = lifecycle.HashSecret(lifecycle.SecretKeyPrefix)

// issueToken exchanges an access key and secret key for a new token. Only an
// Activated credential of a tenant whose public API is on gets one. The key
// formats are checked first, so a mistyped key costs no database call.
func (h *Handlers) issueToken(ctx context.Context, accessKey, secretKey string) (tokenResponse, error) {
	if lifecycle.CheckAccessKey(accessKey) != nil {
		return tokenResponse{}, &exchangeError{status: http.StatusUnauthorized, code: "invalid_credentials", oauth: "invalid_client",
			message: fmt.Sprintf("The access key is not an ESP access key (%s followed by 24 characters A-Z and 2-7).", lifecycle.AccessKeyPrefix), failure: true}
	}
	if lifecycle.CheckSecretKey(secretKey) != nil {
		return tokenResponse{}, &exchangeError{status: http.StatusUnauthorized, code: "invalid_credentials", oauth: "invalid_client",
			message: fmt.Sprintf("The secret key is not an ESP secret key (%s..., 65 characters, with a checksum): check it was copied whole.", lifecycle.SecretKeyPrefix), failure: true}
	}
	if h.onKeyLookup != nil {
		h.onKeyLookup()
	}
	grant, err := h.store.KeyGrant(ctx, accessKey)
	if errors.Is(err, store.ErrNotFound) {
		lifecycle.SecretMatches(secretKey, dummyHash)
		return tokenResponse{}, errKeysRejected
	}
	if err != nil {
		return tokenResponse{}, err
	}
	if !lifecycle.SecretMatches(secretKey, grant.SecretHash) {
		return tokenResponse{}, errKeysRejected
	}
	// The caller holds the real secret from here on: telling the status helps
	// and gives nothing away.
	if st := lifecycle.ColumnStatus(grant.Status); !st.Authenticates() {
		return tokenResponse{}, &exchangeError{status: http.StatusUnauthorized, code: "invalid_credentials", oauth: "invalid_client",
			message: fmt.Sprintf("These API credentials are %s; only Activated credentials get tokens.", st.Label()), failure: true}
	}
	if !grant.PublicAPI {
		return tokenResponse{}, errFeatureOff
	}
	now := h.now().UTC()
	token, hash := newToken()
	err = h.store.InsertToken(ctx, store.Token{Hash: hash, CredentialID: grant.CredentialID, TenantID: grant.TenantID,
		CreatedAt: now, ExpiresAt: now.Add(h.tokenTTL)})
	if err != nil {
		return tokenResponse{}, err
	}
	// As in requireToken: skip the (conditional) write when the last use
	// is recent, so that busy clients do not queue on the database writer.
	if grant.LastUsedAt.IsZero() || now.Sub(grant.LastUsedAt) >= lastUsedEvery {
		if _, err := h.store.TouchCredential(ctx, grant.CredentialID, now, lastUsedEvery); err != nil {
			return tokenResponse{}, err
		}
	}
	return tokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: int64(h.tokenTTL / time.Second)}, nil
}

// writeToken answers a successful exchange; tokens are never cached.
func writeToken(c echo.Context, t tokenResponse) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, t)
}
