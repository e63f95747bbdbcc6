-- One attempt plan per distinct list of steps. Every enrichment call wrote its own plan row, so a run
-- killed after writing its plan and then resumed held two identical plans where an uninterrupted run holds
-- one, and `etl checksum` could not show that the resumed run ended with the same data. Plans are now
-- content-addressed: steps_key is the md5 of the steps' JSON text, a call reuses the plan that has its
-- steps. run_id / replay_id say which call wrote the plan first (each attempt log names its own run).
-- Rows written before this migration keep steps_key NULL (NULLs never conflict).
ALTER TABLE enrichment.attempt_plan ADD COLUMN steps_key text;
CREATE UNIQUE INDEX attempt_plan_steps_key ON enrichment.attempt_plan (steps_key);
