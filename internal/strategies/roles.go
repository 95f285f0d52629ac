package strategies

// Roles that strategies declare, so that reports and recommendations find
// "the set-based one" or "the bulk twin of cursor" by what a strategy says
// of itself, never by its name: renaming a strategy changes no rule. Results
// record them (summary.Roles, filled by bench.RolesOf), and reports read
// them there.

// InDatabase is implemented by strategies whose calculation runs in SQL and
// moves no row to the client: the answer only if the calculation can be
// written in SQL, so reported beside the ranking.
type InDatabase interface {
	InDatabase()
}

// BulkTwin is implemented by a strategy that is another's per-row strategy
// with its writes batched into bulk statements.
type BulkTwin interface {
	// BulkOf returns the per-row strategy this one batches.
	BulkOf() Strategy
}

// PageMethod says how a strategy reads page by page.
type PageMethod int

// How strategies page.
const (
	NoPaging     PageMethod = iota
	OffsetPaging            // LIMIT n OFFSET k: re-reads every skipped row
	KeysetPaging            // WHERE id > last LIMIT n: seeks
)

// Pager is implemented by strategies that read page by page.
type Pager interface {
	PageMethod() PageMethod
}

// InDatabase implements InDatabase.
func (SetBased) InDatabase() {}

// BulkOf implements BulkTwin.
func (CursorBulk) BulkOf() Strategy { return Cursor{} }

// BulkOf implements BulkTwin.
func (PagingBulk) BulkOf() Strategy { return Paging{} }

// BulkOf implements BulkTwin.
func (KeysetBulk) BulkOf() Strategy { return Keyset{} }

// PageMethod implements Pager.
func (Paging) PageMethod() PageMethod { return OffsetPaging }

// PageMethod implements Pager.
func (PagingBulk) PageMethod() PageMethod { return OffsetPaging }

// PageMethod implements Pager.
func (Keyset) PageMethod() PageMethod { return KeysetPaging }

// PageMethod implements Pager.
func (KeysetBulk) PageMethod() PageMethod { return KeysetPaging }
