package store

import (
	"bytes"
	"context"
)

// planBlock is one block of a plan's stored lines, as the CSV export sends
// them, and the scratch space reading it needs.
type planBlock struct {
	lines []byte // the block's CSV lines, each with its line end
	rows  int    // how many lines
	last  int64  // the id of its last row
	full  bool   // it holds lineChunk rows: more may follow
	// raw is the reader's scratch (PostgreSQL: the COPY data), one for
	// both blocks, as one block is read at a time.
	raw *bytes.Buffer
}

// readPlanBlock fills b with the block of the plan's rows after the row
// after (up to lineChunk rows; none when no row is left), reusing b's
// buffers. It holds a database connection only while it reads.
type readPlanBlock func(ctx context.Context, planID, after int64, b *planBlock) error

// eachPlanBlock calls fn with each block read gives, in id order, while
// read fetches the next one: the database's work on a block and the
// client's reading of the one before overlap, where one after the other
// they would add up. Two blocks circulate, so memory stays flat (two
// blocks) however many rows the plan has, and no connection is held while
// fn runs. An error of read or of fn stops the walk and is returned; once
// parent ends, no further block is handed over and its error is returned.
func eachPlanBlock(parent context.Context, planID int64, read readPlanBlock, fn func(lines []byte, rows int) error) error {
	ctx, cancel := context.WithCancel(parent)
	full := make(chan *planBlock, 1)
	free := make(chan *planBlock, 2)
	raw := new(bytes.Buffer)
	free <- &planBlock{lines: make([]byte, 0, lineChunk*128), raw: raw}
	free <- &planBlock{lines: make([]byte, 0, lineChunk*128), raw: raw}
	errc := make(chan error, 1)
	go func() {
		defer close(full)
		after := int64(0)
		for {
			var b *planBlock
			select {
			case b = <-free:
			case <-ctx.Done():
				return
			}
			if err := read(ctx, planID, after, b); err != nil {
				errc <- err
				return
			}
			full <- b // room for one: the other block is free or with fn
			if !b.full {
				return
			}
			after = b.last
		}
	}()
	defer func() {
		cancel()
		for range full { // let the reader end before the caller goes on
		}
	}()
	for b := range full {
		// A caller gone (a client that went away) gets no further block,
		// even one already read.
		if err := parent.Err(); err != nil {
			return err
		}
		if b.rows > 0 {
			if err := fn(b.lines, b.rows); err != nil {
				return err
			}
		}
		free <- b
	}
	// The reader also stops, without an error, when it sees parent end
	// first: a walk cut short is parent's error, never a whole plan.
	if err := parent.Err(); err != nil {
		return err
	}
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}
