package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/iterbench/iterbench/internal/bench"
)

// newProgress returns a progress bar on w when w is a terminal, and no
// output otherwise.
func newProgress(w io.Writer) bench.Progress {
	if !isTerminal(w) {
		return bench.NoProgress{}
	}
	return &bar{w: w}
}

// bar shows one progress bar per stage.
type bar struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (b *bar) Start(label string, total int64) {
	b.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
}

func (b *bar) Set(done int64) {
	if b.bar != nil {
		b.bar.Set64(done)
	}
}

func (b *bar) Finish() {
	if b.bar != nil {
		b.bar.Finish()
		b.bar = nil
	}
}
