package host

import (
	"testing"

	"github.com/tetherflow/tether/engine"
)

// connectData is a record of the connect flow at its code prompt: the
// variables connect keeps, its ticket among them, one timer.
func connectData(sensitive []string) *data {
	d := sampleData()[1]
	vars := map[string]any{
		"account": "family@example.com", "ticket": "as-" + sampleTicket + sampleTicket, "failures": 1,
		"captcha_required": false, "captcha_id": "", "captcha_challenge": "", "phone": "+49 *** *** 12 34",
		"code_sent_at": d.Snapshot.Shown, "resends": 0, "notice": "", "licences": []any{}, "plan": "",
		"licence": "", "consent_required": true, "consent_document": "gdpr-data-provisioning-de",
		"consent_version": "2025.1-de", "consent_region": "eu-de", "retry_at": "",
	}
	d.Snapshot.Frames = []engine.FrameSnapshot{{Flow: "connect", Hash: "d01dde01a5c46e40", State: "enter_code",
		Vars: vars, Timers: d.Snapshot.Frames[0].Timers, Sensitive: sensitive}}
	return d
}

// BenchmarkRecord is the cost of a record's data to a step, which
// decodes it once and encodes it once: the connect flow's record with its
// ticket sealed (AES-256-GCM, a nonce from crypto/rand), and the same
// record with nothing sealed.
func BenchmarkRecord(b *testing.B) {
	keys := testKeys(b, "k1").WithRand(nil)
	for _, c := range []struct {
		name      string
		sensitive []string
	}{{"plain", nil}, {"sealed", []string{"ticket"}}} {
		b.Run(c.name, func(b *testing.B) {
			d := connectData(c.sensitive)
			raw, err := encodeData(d, keys)
			if err != nil {
				b.Fatal(err)
			}
			rec := &Record{ID: d.Snapshot.ID, Data: raw}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				got, err := decodeData(rec, keys)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := encodeData(got, keys); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
