package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"esp/lifecycle"
)

// OutboxReader reads the outbox for the scrape: when its oldest notice
// still to send was queued (zero: none).
type OutboxReader interface {
	OldestNotice(ctx context.Context) (time.Time, error)
}

// Notices counts what came of the email notices, and reports the age of
// the oldest one still unsent, read from the database at each scrape. It
// is lifecycle.MailObserver.
type Notices struct {
	outcomes *prometheus.CounterVec
}

// NewNotices registers the notices' metrics in reg; now is the clock of
// the oldest notice's age.
func NewNotices(reg prometheus.Registerer, outbox OutboxReader, now func() time.Time) *Notices {
	n := &Notices{outcomes: counterVec("esp_notices_total",
		"Email notices by outcome: queued (one per recipient, counted when first claimed), sent, retried (a failed attempt tried again later), given_up.",
		"outcome")}
	for _, o := range []string{"queued", "sent", "retried", "given_up"} {
		n.outcomes.WithLabelValues(o)
	}
	reg.MustRegister(n.outcomes, prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "esp_notice_oldest_unsent_age_seconds",
		Help: "Age of the oldest email notice not yet sent nor given up, 0 when none (read at each scrape)."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), countTimeout)
			defer cancel()
			oldest, err := outbox.OldestNotice(ctx)
			if err != nil || oldest.IsZero() {
				return 0
			}
			return max(now().Sub(oldest).Seconds(), 0)
		}))
	return n
}

// NoticeQueued counts a notice claimed for its first attempt.
func (n *Notices) NoticeQueued() { n.outcomes.WithLabelValues("queued").Inc() }

// NoticeSent counts a notice the mail server took.
func (n *Notices) NoticeSent() { n.outcomes.WithLabelValues("sent").Inc() }

// NoticeRetried counts a failed attempt that will be tried again.
func (n *Notices) NoticeRetried() { n.outcomes.WithLabelValues("retried").Inc() }

// NoticeGivenUp counts a notice given up.
func (n *Notices) NoticeGivenUp() { n.outcomes.WithLabelValues("given_up").Inc() }

var _ lifecycle.MailObserver = (*Notices)(nil)
