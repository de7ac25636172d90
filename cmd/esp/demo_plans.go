package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"esp/lifecycle"
	"esp/store"
)

// demoPlan describes one generated demo plan.
type demoPlan struct {
	name string
	// peak scales the volume of the busy season (weeks 44 to 52) on top of
	// the ordinary seasonality.
	peak float64
	seed uint64
}

var demoPlans = []demoPlan{
	{name: "FY2027 Baseline", peak: 1.0, seed: 2027},
	{name: "FY2027 Peak Season", peak: 1.35, seed: 2028},
}

// The demo's shape: a year of weeks from Monday 4 January 2027, four WEM
// skills, three scheduling units.
var (
	demoStart = time.Date(2027, time.January, 4, 0, 0, 0, 0, time.UTC)
	demoWeeks = 52
	demoUnits = []struct {
		name  string
		share float64 // of each skill's volume
	}{{"Manila", 0.45}, {"Austin", 0.30}, {"Krakow", 0.25}}
	demoSkills = []struct {
		name       string
		weekly     float64 // contacts a week across all units, before seasonality
		aht        float64 // seconds
		slTarget   float64 // percent
		occupancy  float64 // percent
		peakWeight float64 // how strongly the busy season hits this skill
	}{
		{"Billing", 9000, 380, 80, 84, 1.0},
		{"Tech Support", 6500, 540, 75, 80, 0.6},
		{"Sales", 5200, 300, 85, 78, 1.4},
		{"Retention", 2600, 460, 80, 82, 0.8},
	}
)

// importDemoPlans loads the demo plans into the tenant. A plan that already
// exists (a first run that stopped half-way) is left as it is.
func importDemoPlans(ctx context.Context, st *store.Store, tenantID int64) error {
	for _, p := range demoPlans {
		_, err := st.ImportPlan(ctx, tenantID, p.name, time.Now(), demoRows(p))
		if err != nil && !errors.Is(err, lifecycle.ErrConflict) {
			return fmt.Errorf("demo plan %q: %w", p.name, err)
		}
	}
	return nil
}

// demoRows yields the rows of a demo plan in a fixed order, with plausible
// numbers: volumes that follow the year (a January billing bump, a summer
// dip, the year-end peak), AHT between 240 and 600 s, service level 70 to
// 90 %, occupancy 75 to 88 %, and the FTE that workload needs.
func demoRows(p demoPlan) func(*lifecycle.PlanRow) error {
	rng := rand.New(rand.NewPCG(p.seed, 0x9e3779b97f4a7c15))
	week, skill, unit := 0, 0, 0
	return func(r *lifecycle.PlanRow) error {
		if week == demoWeeks {
			return io.EOF
		}
		start := demoStart.AddDate(0, 0, 7*week)
		sk, un := demoSkills[skill], demoUnits[unit]

		season := 1 + 0.12*math.Cos(2*math.Pi*float64(week-2)/52) // high in winter, low in summer
		if week >= 43 {
			season *= 1 + (p.peak-1+0.15)*sk.peakWeight*float64(week-42)/10
		}
		noise := 1 + (rng.Float64()-0.5)*0.08
		volume := math.Round(sk.weekly * un.share * season * noise)
		aht := clamp(math.Round(sk.aht*(1+(rng.Float64()-0.5)*0.1)), 240, 600)
		occupancy := clamp(sk.occupancy+(rng.Float64()-0.5)*4, 75, 88)
		sl := clamp(sk.slTarget+(rng.Float64()-0.5)*6-(season-1)*10, 70, 90)
		asa := math.Round(10 + (90-sl)*2.2 + rng.Float64()*6)
		// Workload hours over productive hours a week (37.5 h at the
		// occupancy), plus shrinkage of 30 %.
		fteRequired := volume * aht / 3600 / (37.5 * occupancy / 100) / 0.7
		ftePlanned := fteRequired * (0.94 + rng.Float64()*0.1)

		*r = lifecycle.PlanRow{
			IntervalStart:   start.Format(time.DateOnly),
			Interval:        "week",
			Skill:           sk.name,
			SchedulingUnit:  un.name,
			Volume:          strconv.FormatFloat(volume, 'f', 0, 64),
			AHTSeconds:      strconv.FormatFloat(aht, 'f', 0, 64),
			FTERequired:     strconv.FormatFloat(fteRequired, 'f', 2, 64),
			FTEPlanned:      strconv.FormatFloat(ftePlanned, 'f', 2, 64),
			ServiceLevelPct: strconv.FormatFloat(sl, 'f', 1, 64),
			ASASeconds:      strconv.FormatFloat(asa, 'f', 0, 64),
			OccupancyPct:    strconv.FormatFloat(occupancy, 'f', 1, 64),
		}
		if unit++; unit == len(demoUnits) {
			unit = 0
			if skill++; skill == len(demoSkills) {
				skill = 0
				week++
			}
		}
		return nil
	}
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }
