-- Plan rows become one line each: the row's canonical CSV record, exactly
-- as the CSV export writes it without the line end (see planline.go). The
-- export copies it as it is, the import binds one value a row, and the JSON
-- forms split it again. A field is quoted only where encoding/csv's Writer
-- would quote it: it contains , " CR or LF, is exactly \. or starts with a
-- space (unicode.IsSpace). Dates, intervals and numbers never need quotes.
CREATE TABLE plan_row_lines (
    id      INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    line    TEXT    NOT NULL
);

INSERT INTO plan_row_lines (id, plan_id, line)
SELECT id, plan_id,
    interval_start || ',' || interval || ',' ||
    CASE WHEN instr(skill, ',') OR instr(skill, '"') OR instr(skill, char(13)) OR instr(skill, char(10))
            OR skill = '\.'
            OR substr(skill, 1, 1) IN (' ', char(9), char(10), char(11), char(12), char(13), char(133), char(160),
                char(5760), char(8192), char(8193), char(8194), char(8195), char(8196), char(8197), char(8198),
                char(8199), char(8200), char(8201), char(8202), char(8232), char(8233), char(8239), char(8287),
                char(12288))
        THEN '"' || replace(skill, '"', '""') || '"' ELSE skill END || ',' ||
    CASE WHEN instr(scheduling_unit, ',') OR instr(scheduling_unit, '"') OR instr(scheduling_unit, char(13))
            OR instr(scheduling_unit, char(10))
            OR scheduling_unit = '\.'
            OR substr(scheduling_unit, 1, 1) IN (' ', char(9), char(10), char(11), char(12), char(13), char(133),
                char(160), char(5760), char(8192), char(8193), char(8194), char(8195), char(8196), char(8197),
                char(8198), char(8199), char(8200), char(8201), char(8202), char(8232), char(8233), char(8239),
                char(8287), char(12288))
        THEN '"' || replace(scheduling_unit, '"', '""') || '"' ELSE scheduling_unit END || ',' ||
    volume || ',' || aht_seconds || ',' || fte_required || ',' || fte_planned || ',' ||
    service_level_pct || ',' || asa_seconds || ',' || occupancy_pct
FROM plan_rows;

DROP TABLE plan_rows;
ALTER TABLE plan_row_lines RENAME TO plan_rows;
-- Paging and export walk one plan's rows in id order.
CREATE INDEX plan_rows_plan ON plan_rows (plan_id, id);
