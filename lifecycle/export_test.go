package lifecycle

// SetAfterCheck makes s call f between its status check and its write, with
// "generate" or "deactivate": tests line concurrent calls up there, or
// change the credential meanwhile, to reach the database's guards
// deterministically.
func SetAfterCheck(s *Service, f func(action string)) { s.afterCheck = f }
