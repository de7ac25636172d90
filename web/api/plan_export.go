package api

import (
	"bufio"
	"io"
	"net/http"
	"strconv"

	"github.com/klauspost/compress/gzip"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/lifecycle/plancsv"
	"esp/web/httpx"
)

const (
	mimeCSV    = "text/csv"
	mimeNDJSON = "application/x-ndjson"
)

// exportOffers are the export's two representations for Accept, in its
// order of preference: CSV, then NDJSON.
var exportOffers = []string{mimeCSV + "; charset=utf-8; header=present", mimeNDJSON}

// PlanExport streams every row of a plan, as CSV (the import format, the
// same columns in the same order) or as NDJSON (one JSON object a line),
// straight from the database through a fixed-size buffer: memory stays flat
// however many rows the plan has. It is gzipped when Accept-Encoding asks
// for it, and carries an ETag (exportETag): an If-None-Match that names it
// is answered 304 with no body. A tenant runs at most 4 exports at once,
// and the process at most Config.MaxExports (exportSlots): more are refused
// with 429, so that the memory exports hold stays bounded, and a client
// that stops reading is cut off after the stall timeout. HEAD answers the
// same headers, sends no row and takes no slot; neither does a 304.
func (h *Handlers) PlanExport(c echo.Context) error {
	p, err := h.apiPlan(c)
	if err != nil {
		return err
	}
	hdr := c.Response().Header()
	hdr.Set("Vary", exportVary)
	rep, err := exportRepresentation(c.Request())
	if err != nil {
		return err
	}
	setExportHeaders(hdr, p, rep, h.tagSalt)
	if httpx.NoneMatch(c.Request().Header.Values("If-None-Match"), hdr.Get("ETag")) {
		// Not Modified carries the validator and what varies, no body and
		// no metadata of the body it does not send (RFC 9110 §15.4.5).
		for _, k := range []string{echo.HeaderContentType, echo.HeaderContentDisposition, echo.HeaderContentEncoding} {
			hdr.Del(k)
		}
		c.Response().WriteHeader(http.StatusNotModified)
		return nil
	}
	if c.Request().Method == http.MethodHead {
		c.Response().WriteHeader(http.StatusOK)
		return nil
	}
	release, err := h.takeExportSlot(c)
	if err != nil {
		return err
	}
	defer release()
	c.Response().WriteHeader(http.StatusOK)

	rows, err, writeErr := h.streamExport(c, p.ID, rep)
	h.exports.Exported(rep.format(), rows, c.Response().Size)
	if err != nil && writeErr == nil && c.Request().Context().Err() == nil {
		// The status is sent: all that is left is to cut the connection so
		// the client sees a truncated download rather than a short file.
		h.log.Error("export failed", "plan", p.ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	// A failed write means the client went away: nothing to answer.
	return nil
}

// setExportHeaders sets the export's content type, its file name
// (plan-ID.csv or plan-ID.ndjson), its content coding and its ETag.
func setExportHeaders(hdr http.Header, p lifecycle.Plan, rep exportRep, tagSalt string) {
	name := "plan-" + strconv.FormatInt(p.ID, 10)
	if rep.ndjson {
		hdr.Set(echo.HeaderContentType, mimeNDJSON)
		hdr.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.ndjson"`)
	} else {
		hdr.Set(echo.HeaderContentType, mimeCSV+"; charset=utf-8")
		hdr.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
	}
	if rep.gzip {
		hdr.Set(echo.HeaderContentEncoding, "gzip")
	}
	hdr.Set("ETag", exportETag(p, rep, tagSalt))
}

// streamExport writes every row of the plan to the response, after the
// status, and returns how many it wrote, the export's error and the
// error of the last write to the client.
func (h *Handlers) streamExport(c echo.Context, planID int64, rep exportRep) (rows int, exportErr, writeErr error) {
	// The server's write timeout is short; an export may take longer as long
	// as the client keeps reading, so the deadline moves with every piece
	// written, and a client that stops reading loses its slot.
	bw := bufio.NewWriterSize(httpx.NewStallWriter(c.Response(), h.stall), apiExportBufBytes)
	var out io.Writer = bw
	var gz *gzip.Writer
	if rep.gzip {
		gz = h.gzips.get(bw)
		defer h.gzips.put(gz)
		out = gz
	}
	write := func(b []byte, n int) error {
		rows += n
		_, writeErr = out.Write(b)
		return writeErr
	}
	ctx := c.Request().Context()
	if rep.ndjson {
		exportErr = h.plans.Export(ctx, planID, &ndjsonRows{line: make([]byte, 0, 512), write: func(line []byte) error {
			return write(line, 1)
		}})
	} else {
		// Rows are stored as the CSV lines this writes: no encoding, and
		// each block of lines goes out with one write.
		if exportErr = write([]byte(plancsv.Header), 0); exportErr == nil {
			exportErr = h.plans.Export(ctx, planID, csvLines(write))
		}
	}
	if exportErr == nil && gz != nil {
		writeErr = gz.Close()
	}
	if exportErr == nil && writeErr == nil {
		writeErr = bw.Flush()
	}
	return rows, exportErr, writeErr
}

// ndjsonRows writes each row as one JSON object a line.
type ndjsonRows struct {
	write func(line []byte) error
	line  []byte
}

func (n *ndjsonRows) WriteRow(r *lifecycle.PlanRow) error {
	n.line = append(plancsv.AppendJSON(n.line[:0], r), '\n')
	return n.write(n.line)
}

// csvLines writes the stored lines of a CSV export, a block at a time.
type csvLines func(lines []byte, rows int) error

func (w csvLines) WriteLines(lines []byte, rows int) error { return w(lines, rows) }

func (w csvLines) WriteRow(r *lifecycle.PlanRow) error { return w(plancsv.AppendCSV(nil, r), 1) }

// exportFormat picks the format the format parameter names, or else the one
// the Accept header prefers (httpx.Negotiate), CSV when it says nothing;
// an Accept that allows neither is refused (406).
func exportFormat(r *http.Request) (ndjson bool, err error) {
	q, err := apiQuery(r)
	if err != nil {
		return false, err
	}
	format, ok, err := single(q, "format")
	if err != nil {
		return false, err
	}
	if ok {
		switch format {
		case "csv":
			return false, nil
		case "ndjson":
			return true, nil
		}
		return false, badRequest("bad_format", "format must be csv or ndjson.")
	}
	offer, ok := httpx.Negotiate(r.Header.Values("Accept"), exportOffers...)
	if !ok {
		return false, &lifecycle.Error{Code: httpx.NotAcceptable,
			Message: "The export is sent as text/csv or application/x-ndjson, and the Accept header allows neither; or ask with ?format=csv or ?format=ndjson."}
	}
	return offer == mimeNDJSON, nil
}
