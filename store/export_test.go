package store

// Hooks for the black-box tests.
var (
	ParsePlanLine       = parsePlanLine
	AppendPlanRowRecord = appendPlanRowRecord
)
