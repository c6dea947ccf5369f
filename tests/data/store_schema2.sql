-- A webcare store as schema 2 wrote it (before thread ids), for the schema 3 migration test:
-- 15 messages on four platforms with their scores.
BEGIN TRANSACTION;
CREATE TABLE "alerts" (
   "key" TEXT PRIMARY KEY,
   "incident" TEXT,
   "seq" INTEGER,
   "at" TEXT,
   "playbook" TEXT,
   "severity" TEXT,
   "kind" TEXT,
   "payload" TEXT
);
CREATE TABLE "connector_status" (
   "connector" TEXT PRIMARY KEY,
   "status" TEXT,
   "last_success" REAL,
   "last_error" TEXT,
   "fetched" INTEGER,
   "rate_limit_reset" REAL,
   "updated_at" REAL
);
CREATE TABLE "cursors" (
   "connector" TEXT PRIMARY KEY,
   "cursor" TEXT,
   "updated_at" REAL
);
CREATE TABLE "deliveries" (
   "alert_key" TEXT,
   "sink" TEXT,
   "delivered_at" REAL,
   "ref" TEXT,
   PRIMARY KEY ("alert_key", "sink")
);
CREATE TABLE "digest_runs" (
   "recipient" TEXT,
   "period" TEXT,
   "kind" TEXT,
   "due_at" REAL,
   "queued_at" REAL,
   "sent_at" REAL,
   "chats" TEXT,
   PRIMARY KEY ("recipient", "period")
);
CREATE TABLE "engine_state" (
   "id" INTEGER PRIMARY KEY,
   "version" TEXT,
   "state" BLOB,
   "updated_at" REAL
);
CREATE TABLE "incident_actions" (
   "id" INTEGER PRIMARY KEY,
   "incident" TEXT,
   "action" TEXT,
   "user" TEXT,
   "at" TEXT
);
CREATE TABLE "incidents" (
   "id" TEXT PRIMARY KEY,
   "playbook" TEXT,
   "severity" TEXT,
   "status" TEXT,
   "title" TEXT,
   "opened_at" TEXT,
   "updated_at" TEXT,
   "seq" INTEGER,
   "message_ids" TEXT,
   "assignee" TEXT,
   "acked_by" TEXT,
   "acked_at" TEXT,
   "snoozed_until" TEXT,
   "resolved_by" TEXT,
   "resolved_at" TEXT
);
CREATE TABLE "messages" (
   "platform" TEXT,
   "id" TEXT,
   "kind" TEXT,
   "public" INTEGER,
   "author_id" TEXT,
   "author_name" TEXT,
   "author_followers" INTEGER,
   "text" TEXT,
   "created_at" TEXT,
   "ts" REAL,
   "conversation_id" TEXT,
   "in_reply_to" TEXT,
   "from_brand" INTEGER,
   "automated" INTEGER,
   "url" TEXT,
   "lang" TEXT,
   "extra" TEXT,
   "source" TEXT,
   "ingested_at" REAL,
   PRIMARY KEY ("platform", "id")
);
INSERT INTO "messages" VALUES('facebook','d1','dm',0,'lisa','',NULL,'hoi, ik heb een vraag','2026-11-30T09:00:00+00:00',1796029200.0,'t_lisa',NULL,0,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('facebook','d2','dm',0,'page','',NULL,'Bedankt voor je bericht, we reageren zo snel mogelijk.','2026-11-30T09:01:00+00:00',1796029260.0,'t_lisa',NULL,1,1,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('facebook','d3','dm',0,'anna','Anna',NULL,'Je pakket komt morgen.','2026-11-30T09:40:00+00:00',1796031600.0,'t_lisa',NULL,1,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('facebook','d4','dm',0,'tom','',NULL,'hoi, ik heb een vraag','2026-11-30T09:50:00+00:00',1796032200.0,NULL,NULL,0,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('facebook','d5','dm',0,'anna','Anna',NULL,'Hoi Tom, welk ordernummer?','2026-11-30T10:10:00+00:00',1796033400.0,NULL,NULL,1,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('facebook','p1','post',1,'page','',NULL,'Nieuwe actie!','2026-11-30T09:00:00+00:00',1796029200.0,NULL,NULL,1,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('facebook','c1','comment',1,'alice','',NULL,'Werkt de code niet?','2026-11-30T09:10:00+00:00',1796029800.0,'p1','p1',0,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('facebook','c2','comment',1,'bob','',NULL,'Waar is mijn bestelling','2026-11-30T09:12:00+00:00',1796029920.0,'p1','p1',0,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('facebook','r1','comment',1,'anna','Anna',NULL,'Hoi Alice, probeer het nog eens.','2026-11-30T09:20:00+00:00',1796030400.0,'p1','c1',1,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('x','x1','mention',1,'carol','',NULL,'@merk storing?','2026-11-30T09:05:00+00:00',1796029500.0,NULL,NULL,0,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('x','x2','mention',1,'bram','Bram',NULL,'We kijken ernaar!','2026-11-30T09:09:00+00:00',1796029740.0,NULL,'x1',1,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('x','x3','mention',1,'dave','',NULL,'@merk ook hier','2026-11-30T09:15:00+00:00',1796030100.0,NULL,NULL,0,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('email','e1','email',0,'k@example.nl','',NULL,'hoi, ik heb een vraag','2026-11-30T09:00:00+00:00',1796029200.0,'mail_1',NULL,0,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('email','e2','email',0,'care','',NULL,'Klaar','2026-11-30T09:30:00+00:00',1796031000.0,'mail_1',NULL,1,0,NULL,NULL,NULL,'fixture',1796036400.0);
INSERT INTO "messages" VALUES('google','g1','review',1,'eve','',NULL,'Slecht geholpen','2026-11-30T09:03:00+00:00',1796029380.0,NULL,NULL,0,0,NULL,NULL,NULL,'fixture',1796036400.0);
CREATE TABLE "oncall_override" (
   "id" INTEGER PRIMARY KEY,
   "person" TEXT,
   "since" REAL,
   "until" REAL
);
CREATE TABLE "quarantine" (
   "id" INTEGER PRIMARY KEY,
   "connector" TEXT,
   "source" TEXT,
   "error" TEXT,
   "raw" TEXT,
   "at" REAL
);
CREATE TABLE "schema_version" (
   "version" INTEGER PRIMARY KEY
);
INSERT INTO "schema_version" VALUES(2);
CREATE TABLE "scores" (
   "platform" TEXT,
   "id" TEXT,
   "lang" TEXT,
   "compound" REAL,
   "label" TEXT,
   "intent" TEXT,
   "complaint" INTEGER,
   "complaint_score" REAL,
   "urgency" REAL,
   "reasons" TEXT,
   "confidence" REAL,
   PRIMARY KEY ("platform", "id")
);
INSERT INTO "scores" VALUES('facebook','d1','nl',-0.5,'neg','complaint',1,0.8,0.7,'["late"]',1.0);
INSERT INTO "scores" VALUES('facebook','d4','nl',-0.5,'neg','complaint',1,0.8,0.7,'["late"]',1.0);
INSERT INTO "scores" VALUES('facebook','c1','nl',-0.5,'neg','complaint',1,0.8,0.7,'["late"]',1.0);
INSERT INTO "scores" VALUES('facebook','c2','nl',-0.5,'neg','complaint',1,0.8,0.7,'["late"]',1.0);
INSERT INTO "scores" VALUES('x','x1','nl',-0.5,'neg','complaint',1,0.8,0.7,'["late"]',1.0);
INSERT INTO "scores" VALUES('x','x3','nl',-0.5,'neg','complaint',1,0.8,0.7,'["late"]',1.0);
INSERT INTO "scores" VALUES('email','e1','nl',-0.5,'neg','complaint',1,0.8,0.7,'["late"]',1.0);
INSERT INTO "scores" VALUES('google','g1','nl',-0.5,'neg','complaint',1,0.8,0.7,'["late"]',1.0);
CREATE TABLE "telegram_chats" (
   "chat_id" INTEGER PRIMARY KEY,
   "muted_until" REAL
);
CREATE TABLE "telegram_held" (
   "incident" TEXT,
   "chat_id" INTEGER,
   "alert_key" TEXT,
   "release_at" REAL,
   PRIMARY KEY ("incident", "chat_id")
);
CREATE TABLE "telegram_messages" (
   "chat_id" INTEGER,
   "message_id" INTEGER,
   "incident" TEXT,
   "seq" INTEGER,
   "severity" TEXT,
   "kind" TEXT,
   "current" INTEGER,
   "updated_at" REAL,
   PRIMARY KEY ("chat_id", "message_id")
);
CREATE INDEX "idx_messages_ts"
    ON "messages" ("ts");
CREATE INDEX "idx_messages_platform_conversation_id"
    ON "messages" ("platform", "conversation_id");
CREATE INDEX "idx_messages_in_reply_to"
    ON "messages" ("in_reply_to");
CREATE INDEX "idx_messages_author_id"
    ON "messages" ("author_id");
CREATE INDEX "idx_deliveries_sink_delivered_at"
    ON "deliveries" ("sink", "delivered_at");
CREATE INDEX "idx_incidents_status"
    ON "incidents" ("status");
CREATE UNIQUE INDEX "idx_quarantine_connector_source_raw"
    ON "quarantine" ("connector", "source", "raw");
CREATE INDEX "idx_telegram_messages_incident_current"
    ON "telegram_messages" ("incident", "current");
CREATE INDEX idx_messages_private ON messages (platform, ts) WHERE public = 0;
COMMIT;
