-- The wrong-answer book's tables on MariaDB / MySQL. The dimension tables belong to the business
-- database (Sluice reads them); wrongbook_wide is the wide table Sluice upserts into.
-- (The user dimension is app_user: USER is a reserved word in PostgreSQL, and a keyword here.)
CREATE TABLE subject (
  subject_id VARCHAR(16) PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
);
CREATE TABLE question (
  question_id VARCHAR(16) PRIMARY KEY,
  subject_id VARCHAR(16) NOT NULL,
  chapter VARCHAR(32),
  knowledge_point VARCHAR(64),
  difficulty INT,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
);
CREATE TABLE app_user (
  user_id VARCHAR(16) PRIMARY KEY,
  grade INT,
  school VARCHAR(64),
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
);
CREATE TABLE wrongbook_wide (
  wrong_id VARCHAR(48) PRIMARY KEY,
  tenant_id VARCHAR(32),
  user_id VARCHAR(16),
  question_id VARCHAR(16),
  answer VARCHAR(8),
  result VARCHAR(16),
  review_result VARCHAR(16),
  created_at DATETIME(3),
  last_event VARCHAR(32),
  subject_id VARCHAR(16),
  subject_name VARCHAR(64),
  chapter VARCHAR(32),
  knowledge_point VARCHAR(64),
  difficulty INT,
  grade INT,
  school VARCHAR(64),
  config_version BIGINT
);
