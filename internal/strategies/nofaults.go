//go:build !iterbench_faults

package strategies

// faults returns the deliberately faulty strategies, which only a binary
// built with the iterbench_faults tag (a test's) registers.
func faults() []Strategy { return nil }
