package lifecycle

import "time"

// RenewOn makes s renew its claims each time a value arrives on beats,
// instead of every third of the lease, and call renewed after each
// renewal: tests decide when the heartbeat beats.
func (s *Scheduler) RenewOn(beats <-chan time.Time, renewed func()) {
	s.beats, s.renewed = beats, renewed
}

// SetAfterCheck makes s call f between its status check and its write, with
// OnGenerate or OnDeactivate: tests line concurrent calls up there, or
// change the credential meanwhile, to reach the database's guards
// deterministically.
func SetAfterCheck(s *Service, f func(Trigger)) { s.afterCheck = f }

// NewTokenForTest is a fresh bearer token, as an exchange makes one, under
// a key of its own.
func NewTokenForTest() string {
	return signToken(newTokenKey(1, time.Time{}), 1, time.Now().Add(time.Hour))
}
