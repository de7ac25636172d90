package api

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
)

// PlanData answers one page of a plan's rows:
// {"plan_id", "rows": [...], "next_cursor": "..." or null}.
func (h *Handlers) PlanData(c echo.Context) error {
	p, err := h.apiPlan(c)
	if err != nil {
		return err
	}
	q, err := apiQuery(c.Request())
	if err != nil {
		return err
	}
	limit, err := pageLimit(q)
	if err != nil {
		return err
	}
	after, err := pageCursor(q, p.ID)
	if err != nil {
		return err
	}
	page, err := h.plans.Page(c.Request().Context(), p.ID, after, limit)
	if err != nil {
		return err
	}
	rows, next := page.Rows, ""
	if page.More {
		next = encodeCursor(p.ID, rows[len(rows)-1].ID)
	}
	buf := make([]byte, 0, 256+len(rows)*256)
	buf = append(buf, `{"plan_id":`...)
	buf = strconv.AppendInt(buf, p.ID, 10)
	buf = append(buf, `,"rows":[`...)
	for i := range rows {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = plancsv.AppendJSON(buf, &rows[i])
	}
	buf = append(buf, `],"next_cursor":`...)
	if next == "" {
		buf = append(buf, "null"...)
	} else {
		buf = strconv.AppendQuote(buf, next) // base64url: nothing to escape
	}
	buf = append(buf, "}\n"...)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, buf)
}

// badRequest is an Invalid request that the API's envelope names reason.
func badRequest(reason, msg string) error {
	return &lifecycle.Error{Code: lifecycle.Invalid, Reason: reason, Message: msg}
}

// apiQuery parses the query string strictly: a malformed one is a 400,
// not silently ignored.
func apiQuery(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("bad_request", "The query string is malformed.")
	}
	return q, nil
}

// single returns the one value of a query parameter; repeating it is an error.
func single(q url.Values, name string) (string, bool, error) {
	vs, ok := q[name]
	if !ok {
		return "", false, nil
	}
	if len(vs) > 1 {
		return "", false, badRequest("bad_request", "The query parameter "+name+" is given more than once.")
	}
	return vs[0], true, nil
}

// pageLimit reads limit: a whole number from 1 to maxPageLimit (default
// defaultPageLimit).
func pageLimit(q url.Values) (int, error) {
	raw, ok, err := single(q, "limit")
	if err != nil || !ok {
		return defaultPageLimit, err
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxPageLimit || strconv.Itoa(n) != raw {
		return 0, badRequest("bad_limit", "limit must be a whole number from 1 to "+strconv.Itoa(maxPageLimit)+".")
	}
	return n, nil
}

// pageCursor reads cursor: the id of the last row already seen (0 without
// a cursor). An empty cursor is the first page, as clients that always send
// the parameter expect.
func pageCursor(q url.Values, planID int64) (int64, error) {
	raw, ok, err := single(q, "cursor")
	if err != nil || !ok || raw == "" {
		return 0, err
	}
	cp, after, ok := decodeCursor(raw)
	if !ok {
		return 0, badRequest("bad_cursor", "cursor is not a cursor this API gave out; start again without one.")
	}
	if cp != planID {
		return 0, badRequest("bad_cursor", "cursor belongs to another plan.")
	}
	return after, nil
}

// Cursor format (opaque to clients): base64url without padding of a version
// byte (1), the plan id and the last row id seen, each an unsigned varint.
// Decoding is strict (canonical encoding only), so anything a client makes
// up is refused with 400 rather than misread. Tampering gains nothing: the
// plan is checked against the token's tenant and the cursor's plan.
const cursorVersion = 1

func encodeCursor(planID, lastID int64) string {
	b := []byte{cursorVersion}
	b = binary.AppendUvarint(b, uint64(planID))
	b = binary.AppendUvarint(b, uint64(lastID))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (planID, lastID int64, ok bool) {
	if s == "" || len(s) > 32 {
		return 0, 0, false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < 3 || b[0] != cursorVersion {
		return 0, 0, false
	}
	p, n := binary.Uvarint(b[1:])
	if n <= 0 {
		return 0, 0, false
	}
	l, m := binary.Uvarint(b[1+n:])
	if m <= 0 || 1+n+m != len(b) || p == 0 || p > math.MaxInt64 || l == 0 || l > math.MaxInt64 {
		return 0, 0, false
	}
	if encodeCursor(int64(p), int64(l)) != s {
		return 0, 0, false // a non-canonical varint
	}
	return int64(p), int64(l), true
}
