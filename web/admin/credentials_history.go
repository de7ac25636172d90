package admin

import (
	"bufio"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/views"
	"esp/web/httpx"
)

// The history's addresses.
const (
	historyPath    = views.HistoryURL
	historyCSVPath = "/api-credentials/history.csv"
)

// historyPageSize is how many entries one history page shows.
const historyPageSize = 50

// historyCSVBatch is how many entries the CSV reads per query.
const historyCSVBatch = 1000

// historyCSVBufBytes is the CSV's write buffer.
const historyCSVBufBytes = 32 << 10

// errHistoryCursor refuses a history address whose cursor we did not make.
var errHistoryCursor = &lifecycle.Error{Code: lifecycle.Invalid,
	Message: "This history page address is not valid. Open the history from the API Credentials window."}

// CredentialsHistory is GET /api-credentials/history: the tenant's
// credential history, newest first, historyPageSize entries a page. The
// cursor ?before=ID is the last entry of the previous page: entries only
// ever get added, so a page never shifts while an admin reads on.
func (h *Handlers) CredentialsHistory(c echo.Context) error {
	before, err := historyCursor(c)
	if err != nil {
		return err
	}
	entries, err := h.lc.History(c.Request().Context(), currentSession(c).tenant.ID, before, historyPageSize+1)
	if err != nil {
		return err
	}
	vm := views.HistoryVM{Page: h.page(c, "API credential history"), CSVURL: historyCSVPath, WindowURL: "/api-credentials"}
	if len(entries) > historyPageSize {
		entries = entries[:historyPageSize]
		vm.OlderURL = historyPath + "?before=" + strconv.FormatInt(entries[len(entries)-1].ID, 10)
	}
	if before != 0 {
		vm.NewestURL = historyPath
	}
	for _, e := range entries {
		vm.Rows = append(vm.Rows, views.HistoryRow{When: formatTime(e.At), WhenISO: e.At.UTC().Format(time.RFC3339),
			Credential: e.AccessLast4, Event: e.Event, Actor: e.Actor, URL: e.URL})
	}
	return h.render(c, http.StatusOK, views.CredentialHistory(vm))
}

// historyCursor reads ?before=: absent is the first page (0), otherwise one
// positive id.
func historyCursor(c echo.Context) (int64, error) {
	vals, ok := c.QueryParams()["before"]
	if !ok {
		return 0, nil
	}
	if len(vals) != 1 {
		return 0, errHistoryCursor
	}
	id, err := strconv.ParseInt(vals[0], 10, 64)
	if err != nil || id <= 0 || vals[0] != strconv.FormatInt(id, 10) {
		return 0, errHistoryCursor
	}
	return id, nil
}

// CredentialsHistoryCSV is GET /api-credentials/history.csv: every entry of
// the history, newest first, as CSV with the columns time (RFC 3339, UTC),
// credential (the access key's last 4), event, actor and url (where a
// leaked key was found). It is streamed,
// historyCSVBatch entries a query, paged by id as the history page is, so
// memory stays flat however long the history. The first batch is read
// before the answer starts, so that a failure there is an error page; a
// failure later cuts the download short rather than end it as if whole.
func (h *Handlers) CredentialsHistoryCSV(c echo.Context) error {
	ctx := c.Request().Context()
	tenant := currentSession(c).tenant
	entries, err := h.lc.History(ctx, tenant.ID, 0, historyCSVBatch)
	if err != nil {
		return err
	}
	hdr := c.Response().Header()
	hdr.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	hdr.Set(echo.HeaderContentDisposition, `attachment; filename="`+historyFileName(tenant.Name)+`"`)
	c.Response().WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	bw := bufio.NewWriterSize(httpx.NewStallWriter(c.Response(), httpx.DefaultStallTimeout), historyCSVBufBytes)
	w := csv.NewWriter(bw)
	w.Write([]string{"time", "credential", "event", "actor", "url"})
	for {
		for _, e := range entries {
			w.Write([]string{e.At.UTC().Format(time.RFC3339), spreadsheetSafe(e.AccessLast4),
				spreadsheetSafe(e.Event), spreadsheetSafe(e.Actor), spreadsheetSafe(e.URL)})
		}
		if len(entries) < historyCSVBatch || w.Error() != nil {
			break
		}
		if entries, err = h.lc.History(ctx, tenant.ID, entries[len(entries)-1].ID, historyCSVBatch); err != nil {
			break
		}
	}
	w.Flush()
	if err == nil && w.Error() == nil {
		bw.Flush()
	}
	if err != nil && ctx.Err() == nil {
		// The status is sent: all that is left is to cut the connection so
		// the browser sees a failed download rather than a short file.
		h.log.Error("history CSV failed", "tenant", tenant.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	// A failed write means the client went away: nothing to answer.
	return nil
}

// spreadsheetSafe keeps a cell from being read as a formula by a
// spreadsheet: usernames are chosen by people, and a cell starting with
// = + - @, a tab or a carriage return would run as one. Such a cell gets a
// leading apostrophe, which spreadsheets show as text.
func spreadsheetSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// historyFileName is the CSV's file name, with the tenant's name kept to
// the characters every file system and header accepts.
func historyFileName(tenant string) string {
	safe := strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, tenant), "-.")
	if safe == "" {
		return "esp-api-credentials-history.csv"
	}
	return "esp-api-credentials-history-" + safe + ".csv"
}
