package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// RequestObserver hears of every answered request: the metrics count them.
type RequestObserver interface {
	ObserveRequest(method, route string, status int, elapsed time.Duration)
}

// AccessLogConfig is what AccessLog needs beyond its logger.
type AccessLogConfig struct {
	// Observer hears of each answered request; nil, none does.
	Observer RequestObserver
	// TrustRequestID reports whether the request came through a proxy
	// whose X-Request-Id may be taken as the request's id. Nil trusts no
	// one: a client could otherwise name its requests after another's, or
	// write anything into the log.
	TrustRequestID func(*http.Request) bool
}

// HeaderRequestID carries the request's id, in the request (from a trusted
// proxy) and in every answer.
const HeaderRequestID = "X-Request-Id"

// requestIDCtxKey holds the request's id in the echo.Context.
const requestIDCtxKey = "esp.requestID"

// unmatched is the route of a request that matched no route: its path is
// never a label or a log field.
const unmatched = "unmatched"

// AccessLog is each router's first middleware. It gives the request an id
// (echoed in X-Request-Id), has the request's error answered at once by the
// router's error handler, so that the status is final, and then writes one
// log line (method, route pattern, status, duration, bytes, request id, and
// the client address the rate limits count against: ClientAddr) and
// tells the observer. A request whose client closed the connection before
// the handler was done has status StatusClientClosedRequest. It names the
// route's pattern, never the URL: a path or a query string can carry ids
// and, by mistake, secrets.
func AccessLog(log *slog.Logger, cfg AccessLogConfig) echo.MiddlewareFunc {
	// The router's patterns, read at its first request: every route is
	// registered by then.
	var once sync.Once
	var patterns map[string]bool
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			r := c.Request()
			id := requestID(r, cfg.TrustRequestID)
			c.Set(requestIDCtxKey, id)
			c.Response().Header().Set(HeaderRequestID, id)
			once.Do(func() { patterns = routePatterns(c.Echo()) })
			finish := func(aborted bool) {
				route := c.Path()
				if !patterns[route] {
					route = unmatched
				}
				method, res := methodLabel(r.Method), c.Response()
				elapsed, bytes, status := time.Since(start), res.Size, res.Status
				if ClientGone(r) && status != http.StatusRequestTimeout {
					status = StatusClientClosedRequest // even when part of an answer went out
				}
				if r.Method == http.MethodHead {
					bytes = 0 // the server drops the body a handler writes for HEAD
				}
				attrs := []slog.Attr{
					slog.String("method", method), slog.String("route", route), slog.Int("status", status),
					slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.Int64("bytes", bytes),
					slog.String("request_id", id), slog.String("client", ClientAddr(c)),
				}
				if aborted {
					attrs = append(attrs, slog.Bool("aborted", true))
				}
				log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
				if cfg.Observer != nil {
					cfg.Observer.ObserveRequest(method, route, status, elapsed)
				}
			}
			// An export cut off halfway panics with http.ErrAbortHandler
			// past the recovery middleware: it is logged, then goes on up.
			defer func() {
				if p := recover(); p != nil {
					finish(true)
					panic(p)
				}
			}()
			if err := next(c); err != nil {
				c.Error(err)
			}
			finish(false)
			return nil
		}
	}
}

// RequestID is the id AccessLog gave the request.
func RequestID(c echo.Context) string {
	id, _ := c.Get(requestIDCtxKey).(string)
	return id
}

// requestID is the request's X-Request-Id when trust says its sender may
// name it and it is a short plain token; otherwise a new random one.
func requestID(r *http.Request, trust func(*http.Request) bool) string {
	if trust != nil && trust(r) {
		if vals := r.Header.Values(HeaderRequestID); len(vals) == 1 && plainRequestID(vals[0]) {
			return vals[0]
		}
	}
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// plainRequestID reports whether id is 1 to 128 letters, digits and
// "-_.:", so that it cannot break a log line.
func plainRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, ch := range []byte(id) {
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-', ch == '_', ch == '.', ch == ':':
		default:
			return false
		}
	}
	return true
}

// routePatterns is every route pattern e registered.
func routePatterns(e *echo.Echo) map[string]bool {
	set := map[string]bool{}
	for _, r := range e.Routes() {
		set[r.Path] = true
	}
	return set
}

// methodLabel is the request's method when it is one HTTP defines, and
// OTHER for anything else: a client may send any token as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
