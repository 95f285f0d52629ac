package bench

// Progress is told what long work is under way.
type Progress interface {
	// Start begins a stage of total units (rows).
	Start(label string, total int64)
	// Set reports the units done so far in the current stage.
	Set(done int64)
	// Finish ends the current stage.
	Finish()
}

// NoProgress discards progress.
type NoProgress struct{}

// Start implements Progress.
func (NoProgress) Start(string, int64) {}

// Set implements Progress.
func (NoProgress) Set(int64) {}

// Finish implements Progress.
func (NoProgress) Finish() {}
