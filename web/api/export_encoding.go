package api

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/klauspost/compress/gzip"

	"esp/lifecycle"
	"esp/web/httpx"
)

// exportVary names the request headers the export's answer depends on:
// Accept chooses CSV or NDJSON, Accept-Encoding gzip or not.
const exportVary = "Accept, Accept-Encoding"

// exportGzipLevel is the export's gzip level: klauspost/compress's fastest
// that still matches repeated text (level 1, like `gzip -1`). An export is
// streamed while it is read, so compressing must keep up with the
// database read, and plan rows repeat enough that level 1 is within a few
// per cent of the default level's size.
const exportGzipLevel = gzip.BestSpeed

// exportRep is one representation of a plan's export: its format and
// whether it is gzipped.
type exportRep struct {
	ndjson, gzip bool
}

func (r exportRep) format() string {
	if r.ndjson {
		return "ndjson"
	}
	return "csv"
}

// exportRepresentation is the representation the request asks for: the
// format of exportFormat, gzipped when Accept-Encoding prefers it
// (httpx.PrefersGzip).
func exportRepresentation(r *http.Request) (exportRep, error) {
	ndjson, err := exportFormat(r)
	if err != nil {
		return exportRep{}, err
	}
	return exportRep{ndjson: ndjson, gzip: httpx.PrefersGzip(r.Header.Values("Accept-Encoding"))}, nil
}

// exportTagVersion changes whenever the bytes an export sends for the same
// rows change: the CSV or NDJSON encoding or the gzip level (the gzip
// library's version goes into the tag by itself, gzipVersion). Clients'
// copies tagged before then no longer match.
const exportTagVersion = "esp-export-1 gzip-level-1"

// gzipVersion is the version of the gzip library built in, as the build
// records it ("" where it records none, as in some test binaries).
func gzipVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range info.Deps {
		if m.Path == "github.com/klauspost/compress" {
			if m.Replace != nil {
				return m.Replace.Path + "@" + m.Replace.Version
			}
			return m.Path + "@" + m.Version
		}
	}
	return ""
}

// exportETag is the strong entity tag of plan p's export in rep, salt
// being exportTagVersion and gzipVersion. A plan's
// rows never change once its import committed, so the tag is derived from
// what identifies that import (the plan's id, tenant, creation time and
// row count) and the representation, with no read of the rows: the same
// plan in the same representation always sends the same bytes, and ids are
// never given again, so no other plan can have the tag.
func exportETag(p lifecycle.Plan, rep exportRep, salt string) string {
	b := make([]byte, 0, 128)
	b = append(b, salt...)
	for _, n := range []int64{p.ID, p.TenantID, p.CreatedAt.UnixNano(), p.Rows} {
		b = strconv.AppendInt(append(b, ' '), n, 10)
	}
	b = append(append(b, ' '), rep.format()...)
	b = strconv.AppendBool(append(b, ' '), rep.gzip)
	sum := sha256.Sum256(b)
	tag := rep.format()
	if rep.gzip {
		tag += "-gzip"
	}
	return `"` + tag + "-" + base64.RawURLEncoding.EncodeToString(sum[:15]) + `"`
}

// gzipWriters keeps the gzip writers of finished exports for the next
// ones: each holds its compressor's tables (a few hundred KiB), which
// would otherwise be allocated again for every export. At most as many
// exist as exports have run at once.
type gzipWriters struct{ pool sync.Pool }

func (g *gzipWriters) get(w io.Writer) *gzip.Writer {
	if z, ok := g.pool.Get().(*gzip.Writer); ok {
		z.Reset(w)
		return z
	}
	z, err := gzip.NewWriterLevel(w, exportGzipLevel)
	if err != nil {
		panic(err) // the level is a constant that gzip accepts
	}
	return z
}

func (g *gzipWriters) put(z *gzip.Writer) {
	z.Reset(io.Discard) // drop the response it wrote to
	g.pool.Put(z)
}
