package report

import (
	"fmt"
	"strings"

	"github.com/iterbench/iterbench/internal/analysis"
	"github.com/iterbench/iterbench/internal/database"
	"github.com/iterbench/iterbench/internal/summary"
	"github.com/iterbench/iterbench/internal/units"
)

// layerTable renders "what GORM costs": per strategy run both through
// GORM and on the driver (--layers gorm,driver), the two median times,
// GORM's share of the GORM form's time where the Mann-Whitney U test
// finds the difference, and the worker's CPU time of each; empty when no
// driver form ran.
func layerTable(s *summary.Summary) string {
	var b strings.Builder
	for _, st := range s.Strategies {
		of, ok := s.Lookup(st.Roles.LayerOf)
		if st.Roles.Layer != summary.LayerDriver || !ok || st.OK == 0 || of.OK == 0 {
			continue
		}
		if b.Len() == 0 {
			fmt.Fprintf(&b, "What GORM costs (medians over the ok runs): each strategy below ran twice over, through GORM and on the driver directly (%s), "+
				"with the same SQL, batches and progress records; the driver form scans each row straight into the row type's fields%s. "+
				"The recommendation speaks of the GORM forms.\n\n", driverName(s), viaSQL(s))
			b.WriteString("| strategy | through GORM | on the driver | GORM's share of its time | worker CPU, GORM | worker CPU, driver |\n|---|---:|---:|---:|---:|---:|\n")
		}
		c := compareTimes(s, of.Name, st.Name)
		share := noDifference(c)
		if g, d := of.DurationSeconds.Median, st.DurationSeconds.Median; significant(c) && d < g {
			share = fmt.Sprintf("%.0f %% (%s)", 100*(g-d)/g, pn(c))
		} else if significant(c) {
			share = fmt.Sprintf("none: the driver form was %s slower (%s)", times(d/g), pn(c))
		}
		cpu := func(name string) string {
			if split, ok := analysis.SplitTime(s, name); ok {
				return units.Seconds(split.WorkerCPU)
			}
			return "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", of.Name, units.Seconds(of.DurationSeconds.Median), units.Seconds(st.DurationSeconds.Median),
			share, cpu(of.Name), cpu(st.Name))
	}
	return b.String()
}

// viaSQL says what else the GORM form goes through on PostgreSQL, where
// the driver form leaves database/sql out too.
func viaSQL(s *summary.Summary) string {
	if kindOf(s) == database.Postgres {
		return ". On PostgreSQL the GORM form also goes through database/sql and pgx's adapter to it (stdlib), so the difference is theirs with GORM's"
	}
	return ""
}

// driverName is what the driver form used on s's database.
func driverName(s *summary.Summary) string {
	if kindOf(s) == database.Postgres {
		return "pgx's own interface"
	}
	return "database/sql with " + s.Config.Driver
}
