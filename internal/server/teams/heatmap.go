package teams

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/team"
)

// Heatmap geometry, in SVG user units (pixels at scale 1).
const (
	hmCell   = 16  // side of a cell
	hmPitch  = 18  // cell plus gap
	hmLabelW = 200 // left column of learner names
	hmHeadH  = 26  // top row of lesson numbers
	hmName   = 26  // characters of a name shown before it is cut
)

type heatColumn struct {
	CX     int // centre of the column
	Number string
	Title  string // the lesson's number and title
}

type legendItem struct {
	Class, Label string
	Stuck        bool
}

// heatCellMarkup is the markup of the cells of one lesson column, per
// status: the SVG cell around the learner's name and its table cell.
type heatCellMarkup struct {
	rectOpen  string // <rect …><title>
	rectClose string // " — lesson: status</title></rect>", and the stuck mark
	td        string
}

// heatmapOf lays out the dashboard's heatmap.
func heatmapOf(d *team.Dashboard, t *opslab.Team) heatmapView {
	lessons := d.Course.Lessons
	v := heatmapView{Width: hmLabelW + len(lessons)*hmPitch + 4, Height: hmHeadH + len(d.Learners)*hmPitch + 2,
		HeadY: hmHeadH - 9,
		Summary: fmt.Sprintf("%s × %s. The same data is in the table below.",
			plural(len(d.Learners), "learner", "learners"), plural(len(lessons), "lesson", "lessons"))}
	markup := make([]map[team.Status]heatCellMarkup, len(lessons))
	for i, l := range lessons {
		v.Columns = append(v.Columns, heatColumn{CX: hmLabelW + i*hmPitch + hmCell/2, Number: lessonNumber(l.Number, i),
			Title: "Lesson " + lessonNumber(l.Number, i) + ": " + l.Title})
		x := hmLabelW + i*hmPitch
		markup[i] = map[team.Status]heatCellMarkup{}
		for _, st := range team.Statuses {
			m := heatCellMarkup{
				rectOpen:  fmt.Sprintf(`<rect class="hm hm-%s" x="%d" width="%d" height="%d"><title>`, st, x, hmCell, hmCell),
				rectClose: template.HTMLEscapeString(" — "+l.Title+": "+st.Label()) + "</title></rect>",
				td:        fmt.Sprintf(`<td class="hm-%s">%s</td>`, st, st.Label()),
			}
			if st == team.Stuck {
				m.rectClose += fmt.Sprintf(`<text class="hm-mark" x="%d" y="13">!</text>`, x+hmCell/2)
			}
			markup[i][st] = m
		}
	}
	for _, s := range team.Statuses {
		v.Legend = append(v.Legend, legendItem{Class: "hm-" + string(s), Label: s.Label(), Stuck: s == team.Stuck})
	}
	v.Rows = make([]heatRow, 0, len(d.Learners))
	var svg, table strings.Builder
	for j, l := range d.Learners {
		name := template.HTMLEscapeString(l.Name)
		href := template.HTMLEscapeString(learnerURL(t, l.UserID, d.Course))
		svg.Reset()
		table.Reset()
		svg.Grow(len(l.Cells) * 110)
		table.Grow(len(l.Cells) * 40)
		fmt.Fprintf(&svg, `<g class="hm-row" transform="translate(0 %d)"><a href="%s"><text class="hm-name" x="%d" y="12">%s<title>%s</title></text></a>`,
			hmHeadH+j*hmPitch, href, hmLabelW-8, template.HTMLEscapeString(shorten(l.Name, hmName)), name)
		fmt.Fprintf(&table, `<tr><th scope="row"><a href="%s">%s</a></th>`, href, name)
		for i, c := range l.Cells {
			m := markup[i][c.Status]
			svg.WriteString(m.rectOpen)
			svg.WriteString(name)
			svg.WriteString(m.rectClose)
			table.WriteString(m.td)
		}
		svg.WriteString("</g>\n")
		table.WriteString("</tr>\n")
		//nolint:gosec // built from fixed markup and html/template's escaper, see heatmapView
		v.Rows = append(v.Rows, heatRow{SVG: template.HTML(svg.String()), Table: template.HTML(table.String())})
	}
	return v
}

// lessonNumber is the lesson's number as its file names it, or its
// position in the course when it has none.
func lessonNumber(n, i int) string {
	if n > 0 {
		return strconv.Itoa(n)
	}
	return strconv.Itoa(i + 1)
}

// Completion chart geometry.
const (
	chW, chH                    = 640, 260
	chLeft, chRight             = 56, 16
	chTop, chBottom             = 16, 48
	chPlotW, chPlotH            = chW - chLeft - chRight, chH - chTop - chBottom
	chBase                      = chTop + chPlotH
	chMaxXTicks, chMaxYTickSegs = 6, 4
)

type chartPoint struct {
	X, Y  string
	Title string
}

type chartTick struct {
	X, Y  string
	Label string
}

type chartDay struct {
	Date             string
	Completed, Total int
}

// chartOf lays out the completion chart of the days.
func chartOf(days []team.Day) chartView {
	v := chartView{Width: chW, Height: chH, Left: chLeft, Right: chW - chRight, Top: chTop, Base: chBase,
		XLabelX: chLeft + chPlotW/2, YLabelY: chTop + chPlotH/2}
	if len(days) == 0 {
		v.Empty = true
		v.Summary = "No activity yet."
		return v
	}
	last := days[len(days)-1]
	top := niceCeil(last.Total)
	x := func(i int) float64 {
		if len(days) == 1 {
			return chLeft + chPlotW/2
		}
		return chLeft + float64(i)*chPlotW/float64(len(days)-1)
	}
	y := func(n int) float64 { return chBase - float64(n)*chPlotH/float64(top) }
	var line, area strings.Builder
	fmt.Fprintf(&area, "M%s %d", num(x(0)), chBase)
	for i, d := range days {
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&line, "%s%s %s", cmd, num(x(i)), num(y(d.Total)))
		fmt.Fprintf(&area, "L%s %s", num(x(i)), num(y(d.Total)))
		date := d.Date.Format("Jan 2")
		v.Points = append(v.Points, chartPoint{X: num(x(i)), Y: num(y(d.Total)),
			Title: fmt.Sprintf("%s: %d completed, %d in total", date, d.Completed, d.Total)})
		v.Days = append(v.Days, chartDay{Date: d.Date.Format("2006-01-02"), Completed: d.Completed, Total: d.Total})
	}
	fmt.Fprintf(&area, "L%s %dZ", num(x(len(days)-1)), chBase)
	v.Line, v.Area = line.String(), area.String()

	step := int(math.Ceil(float64(len(days)-1) / float64(chMaxXTicks-1)))
	if step < 1 {
		step = 1
	}
	for i := 0; i < len(days); i += step {
		v.XTicks = append(v.XTicks, chartTick{X: num(x(i)), Label: days[i].Date.Format("Jan 2")})
	}
	if (len(days)-1)%step != 0 {
		v.XTicks = append(v.XTicks, chartTick{X: num(x(len(days) - 1)), Label: last.Date.Format("Jan 2")})
	}
	for i := 0; i <= chMaxYTickSegs; i++ {
		n := top * i / chMaxYTickSegs
		if i > 0 && n == top*(i-1)/chMaxYTickSegs {
			continue
		}
		v.YTicks = append(v.YTicks, chartTick{Y: num(y(n)), Label: strconv.Itoa(n)})
	}
	gained := last.Total
	if len(days) > 0 {
		gained -= days[0].Total - days[0].Completed
	}
	v.Summary = fmt.Sprintf("%s completed from %s to %s; %d in total.", plural(gained, "lesson", "lessons"),
		days[0].Date.Format("Jan 2"), last.Date.Format("Jan 2, 2006"), last.Total)
	return v
}

// niceCeil returns a round number at least n (and at least 4), so that
// the axis reads in even steps.
func niceCeil(n int) int {
	if n <= 4 {
		return 4
	}
	mag := int(math.Pow(10, math.Floor(math.Log10(float64(n)))))
	for _, m := range []int{1, 2, 4, 5, 8, 10} {
		if m*mag >= n && (m*mag)%4 == 0 {
			return m * mag
		}
	}
	return 10 * mag
}

// num formats an SVG coordinate with at most one decimal.
func num(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}

// heatmapView is the learners × lessons heatmap, laid out for the SVG
// template: one row per learner (the dashboard's order: stuck first),
// one column per lesson in course order. Cells are coloured by CSS class
// (no style attribute, for the CSP); stuck cells also carry a hatch
// pattern and a "!" mark, so the status never rests on colour alone.
//
// A team of 500 on 30 lessons makes 15,000 cells, each drawn twice (the
// SVG and the table): executing a template action per cell attribute
// costs more than the rest of the page together. So each row is written
// here, from markup fixed per lesson and status, with the learner's name
// escaped once by html/template's HTMLEscapeString; the template writes
// the rows as they are.
type heatmapView struct {
	Width, Height int
	HeadY         int // baseline of the lesson numbers
	Columns       []heatColumn
	Rows          []heatRow
	Legend        []legendItem
	Summary       string
}

// heatRow is one learner's row, in the SVG and in the table.
type heatRow struct {
	SVG   template.HTML
	Table template.HTML
}

// chartView is the completion-over-time chart: the cumulative number of
// completed lessons per day as an area under a line, with axes.
type chartView struct {
	Width, Height int
	Empty         bool
	Left, Right   int // plot edges
	Top, Base     int
	Area, Line    string // SVG path data
	Points        []chartPoint
	XTicks        []chartTick
	YTicks        []chartTick
	XLabelX       int // centre of the x axis title
	YLabelY       int // centre of the y axis title
	Summary       string
	Days          []chartDay
}
