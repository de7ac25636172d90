package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// SignatureHeader carries an event's signature, so that the gateway can
// tell the event came from ESP and was not changed on the way.
const SignatureHeader = "ESP-Signature"

// Signature is the ESP-Signature value of body sent at t:
// "t=T,v1=HEX", where T is t in Unix seconds and HEX the hex HMAC-SHA256,
// keyed by secret, of T + "." + body. T inside the signed text lets the
// gateway refuse an old event replayed later.
func Signature(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
