package httpx

import (
	"net/http"
	"time"
)

// DefaultStallTimeout is how long a streamed answer waits for a client
// that has stopped reading before it gives up on it.
const DefaultStallTimeout = 10 * time.Second

// stallPiece is the most a StallWriter writes under one deadline: a client
// must take each piece within the stall timeout, so a slow but live one
// (a few KiB a second) keeps going.
const stallPiece = 32 << 10

// StallWriter writes a streamed answer (an export, a CSV download) in
// pieces, moving the connection's write deadline on before each piece: a
// client that keeps reading, however slowly, gets the whole answer, however
// long it takes, and one that stops reading is cut off within the stall
// timeout, so that what the answer holds is freed.
type StallWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// NewStallWriter writes to w, giving each piece timeout to go out
// (DefaultStallTimeout when timeout is not positive).
func NewStallWriter(w http.ResponseWriter, timeout time.Duration) *StallWriter {
	if timeout <= 0 {
		timeout = DefaultStallTimeout
	}
	return &StallWriter{w: w, rc: http.NewResponseController(w), timeout: timeout}
}

// Write writes p, a piece at a time, each under a deadline of its own.
func (s *StallWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		piece := p[:min(len(p), stallPiece)]
		// Only a test's recorder has no deadline to set: it never stalls.
		s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
		n, err := s.w.Write(piece)
		written += n
		if err != nil {
			return written, err
		}
		p = p[len(piece):]
	}
	return written, nil
}
