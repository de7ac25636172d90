package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Event describes one credential to provision or remove. It never carries
// the secret key.
type Event struct {
	CredentialID   int64  `json:"credential_id"`
	TenantID       int64  `json:"tenant_id"`
	AccessKey      string `json:"access_key"`
	Action         Action `json:"action"` // an action's Request: activate or deactivate
	IdempotencyKey string `json:"idempotency_key"`
	Attempt        int    `json:"attempt"`
}

// IdempotencyKey names one action on one credential for the gateway, e.g.
// esp-credential-12-MZXW6YTBOI4DQNRXGQ2DAMBS-activate. Beside the id it
// carries the random part of the credential's access key, so no two
// credentials ever share a key, also where ids repeat (a database restored
// from a backup, two installations on one gateway).
func IdempotencyKey(credentialID int64, accessKey string, action Action) string {
	return fmt.Sprintf("esp-credential-%d-%s-%s", credentialID, strings.TrimPrefix(accessKey, AccessKeyPrefix), action)
}

// ErrPermanent marks an activator failure that retrying cannot fix: the
// credential fails at once instead of at its timeout.
var ErrPermanent = errors.New("permanent activator failure")

// Activator provisions credentials where API requests are authenticated and
// removes them on deactivation.
type Activator interface {
	Apply(ctx context.Context, ev Event) error
	// Remote reports whether the activator provisions keys outside ESP. A
	// remote gateway may hold a key whose activation failed (its answer
	// lost, say), so the scheduler asks it to remove that key.
	Remote() bool
}

// LocalActivator is the default: the built-in public API is the gateway and
// reads the credential's status, so there is nothing to provision.
type LocalActivator struct{}

// Apply succeeds at once.
func (LocalActivator) Apply(context.Context, Event) error { return nil }

// Remote is false: nothing is provisioned outside ESP.
func (LocalActivator) Remote() bool { return false }
