package httpx

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"esp/store"
)

// changeCounterCtxKey marks, in the echo.Context, a request whose context
// already carries the change counter.
const changeCounterCtxKey = "esp.changeCounter"

// UseReadCache reads the database's change counter once for the request and
// puts it in the request's context, so that the store may answer the
// session, plan and token lookups of this request from its read cache
// (store/readcache.go); any change by any process since those answers were
// read changes the counter and so is seen by this request.
// Only GET and HEAD requests use the cache: a request that changes rows
// would otherwise read its own change's victims from the cache afterwards.
func UseReadCache(c echo.Context, st *store.Store) error {
	r := c.Request()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil
	}
	if c.Get(changeCounterCtxKey) != nil {
		return nil
	}
	n, err := st.ChangeCounter(r.Context())
	if err != nil {
		return err
	}
	c.Set(changeCounterCtxKey, n)
	c.SetRequest(r.WithContext(store.WithChangeCounter(r.Context(), n)))
	return nil
}
