-- Runs once, when the pgdata volume is new: Rasa's tracker store (conversations) gets a database of its own
-- beside the project's database `lotse`, so each can be backed up, restored and sized on its own.
CREATE DATABASE lotse_tracker OWNER lotse;
