package store

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

// fakeBlocks is a readPlanBlock over blocks of n rows each, that tells
// read of each block it starts reading.
func fakeBlocks(sizes []int, read chan<- int) readPlanBlock {
	return func(_ context.Context, _, after int64, b *planBlock) error {
		i := int(after)
		read <- i
		b.lines, b.rows, b.full, b.last = b.lines[:0], 0, false, after+1
		if i < len(sizes) {
			b.rows = sizes[i]
			b.lines = append(b.lines, strconv.Itoa(i)+"\n"...)
			b.full = i+1 < len(sizes)
		}
		return nil
	}
}

// The next block is read while the consumer still writes the one before,
// and the blocks arrive whole and in order.
func TestEachPlanBlockReadsTheNextBlockWhileTheLastIsWritten(t *testing.T) {
	read := make(chan int, 10)
	var got []string
	err := eachPlanBlock(context.Background(), 1, fakeBlocks([]int{8192, 8192, 5}, read), func(lines []byte, rows int) error {
		got = append(got, string(lines))
		if len(got) == 1 {
			<-read // the first block's read
			select {
			case i := <-read:
				if i != 1 {
					return errors.New("read block " + strconv.Itoa(i) + " next, want 1")
				}
			case <-time.After(10 * time.Second):
				return errors.New("the second block was not read while the first was being written")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "0\n" || got[1] != "1\n" || got[2] != "2\n" {
		t.Fatalf("blocks %q, want 0, 1, 2 in order", got)
	}
}

// A consumer's error stops the walk, is returned, and leaves no reader
// running: nothing is read after eachPlanBlock returns.
func TestEachPlanBlockStopsAtTheConsumersError(t *testing.T) {
	read := make(chan int, 100)
	stop := errors.New("client went away")
	sizes := make([]int, 50)
	for i := range sizes {
		sizes[i] = 8192
	}
	err := eachPlanBlock(context.Background(), 1, fakeBlocks(sizes, read), func([]byte, int) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("err %v, want the consumer's", err)
	}
	n := len(read)
	time.Sleep(20 * time.Millisecond)
	if n > 3 || len(read) != n {
		t.Fatalf("%d blocks read by the time it returned, %d after: want at most 3, and none after", n, len(read))
	}
}
