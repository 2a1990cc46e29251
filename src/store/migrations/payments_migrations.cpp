// The payments area's schema, SQLite and PostgreSQL side by side (see migrations.hpp for the version
// range this area owns). Append only: a released migration is never edited.
//
// Tables: payment providers (settings with write-only secrets), per-tenant payment settings, payment
// requests (the link and its state machine), refunds, payouts, an append-only audit log, the
// double-entry ledger (transactions, postings, running balances), processed PSP event ids, and
// the built-in sandbox PSP's own records (what `bottega reconcile` compares the ledger with).
#include "store/migrations/migrations.hpp"

namespace bottega::store {

const std::vector<AreaMigration>& payments_migrations() {
  static const std::vector<AreaMigration> kMigrations = {
      {20, "payments",
       R"SQL(
CREATE TABLE payment_providers (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX payment_providers_tenant ON payment_providers(tenant_id);
CREATE TABLE payment_settings (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id),
  refund_approval_threshold INTEGER,
  payout_approval_threshold INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE TABLE payments (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  conversation_id TEXT,
  contact_id TEXT,
  provider_id TEXT NOT NULL,
  token TEXT NOT NULL UNIQUE,
  verification_code TEXT NOT NULL,
  status TEXT NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  items TEXT NOT NULL DEFAULT '[]',
  description TEXT NOT NULL DEFAULT '',
  cart_id TEXT,
  order_id TEXT,
  created_by TEXT,
  message_id TEXT,
  provider_ref TEXT,
  payment_ref TEXT,
  attempt_id TEXT,
  captured INTEGER NOT NULL DEFAULT 0,
  refunded INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL,
  opened_at INTEGER,
  paid_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX payments_tenant ON payments(tenant_id, seq);
CREATE INDEX payments_provider_ref ON payments(provider_id, provider_ref);
CREATE TABLE refunds (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  approved_by TEXT,
  provider_ref TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX refunds_payment ON refunds(tenant_id, payment_id, seq);
CREATE TABLE payouts (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  contact_id TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  approved_by TEXT,
  provider_ref TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX payouts_tenant ON payouts(tenant_id, seq);
CREATE TABLE payment_audit (
  seq INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  payment_id TEXT,
  subject_id TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  amount INTEGER,
  currency TEXT,
  reason TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX payment_audit_subject ON payment_audit(tenant_id, payment_id, seq);
CREATE TRIGGER payment_audit_no_update BEFORE UPDATE ON payment_audit
BEGIN SELECT RAISE(ABORT, 'payment_audit is append-only'); END;
CREATE TRIGGER payment_audit_no_delete BEFORE DELETE ON payment_audit
BEGIN SELECT RAISE(ABORT, 'payment_audit is append-only'); END;
CREATE TABLE ledger_transactions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  ref_id TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX ledger_transactions_ref ON ledger_transactions(tenant_id, ref_id);
CREATE TABLE ledger_postings (
  seq INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  transaction_id TEXT NOT NULL,
  account TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX ledger_postings_account ON ledger_postings(tenant_id, account, currency);
CREATE INDEX ledger_postings_transaction ON ledger_postings(transaction_id);
CREATE TABLE ledger_balances (
  tenant_id TEXT NOT NULL,
  account TEXT NOT NULL,
  currency TEXT NOT NULL,
  balance INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, account, currency)
);
CREATE TABLE psp_events (
  provider_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (provider_id, event_id)
);
CREATE TABLE sandbox_psp_payments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  method TEXT,
  status TEXT NOT NULL,
  refunded INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX sandbox_psp_payments_provider ON sandbox_psp_payments(tenant_id, provider_id);
)SQL",
       R"SQL(
CREATE TABLE payment_providers (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
  type TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  settings TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX payment_providers_tenant ON payment_providers(tenant_id);
CREATE TABLE payment_settings (
  tenant_id TEXT COLLATE "C" PRIMARY KEY REFERENCES tenants(id),
  refund_approval_threshold BIGINT,
  payout_approval_threshold BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE TABLE payments (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  conversation_id TEXT COLLATE "C",
  contact_id TEXT COLLATE "C",
  provider_id TEXT COLLATE "C" NOT NULL,
  token TEXT COLLATE "C" NOT NULL UNIQUE,
  verification_code TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL,
  amount BIGINT NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  items TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  description TEXT COLLATE "C" NOT NULL DEFAULT '',
  cart_id TEXT COLLATE "C",
  order_id TEXT COLLATE "C",
  created_by TEXT COLLATE "C",
  message_id TEXT COLLATE "C",
  provider_ref TEXT COLLATE "C",
  payment_ref TEXT COLLATE "C",
  attempt_id TEXT COLLATE "C",
  captured BIGINT NOT NULL DEFAULT 0,
  refunded BIGINT NOT NULL DEFAULT 0,
  expires_at BIGINT NOT NULL,
  opened_at BIGINT,
  paid_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX payments_tenant ON payments(tenant_id, seq);
CREATE INDEX payments_provider_ref ON payments(provider_id, provider_ref);
CREATE TABLE refunds (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  payment_id TEXT COLLATE "C" NOT NULL,
  amount BIGINT NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  reason TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL,
  requested_by TEXT COLLATE "C" NOT NULL,
  approved_by TEXT COLLATE "C",
  provider_ref TEXT COLLATE "C",
  error TEXT COLLATE "C",
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX refunds_payment ON refunds(tenant_id, payment_id, seq);
CREATE TABLE payouts (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  contact_id TEXT COLLATE "C" NOT NULL,
  provider_id TEXT COLLATE "C" NOT NULL,
  amount BIGINT NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  reason TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL,
  requested_by TEXT COLLATE "C" NOT NULL,
  approved_by TEXT COLLATE "C",
  provider_ref TEXT COLLATE "C",
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX payouts_tenant ON payouts(tenant_id, seq);
CREATE TABLE payment_audit (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  payment_id TEXT COLLATE "C",
  subject_id TEXT COLLATE "C" NOT NULL,
  action TEXT COLLATE "C" NOT NULL,
  actor TEXT COLLATE "C" NOT NULL,
  amount BIGINT,
  currency TEXT COLLATE "C",
  reason TEXT COLLATE "C",
  created_at BIGINT NOT NULL
);
CREATE INDEX payment_audit_subject ON payment_audit(tenant_id, payment_id, seq);
CREATE FUNCTION payment_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
'BEGIN RAISE EXCEPTION ''payment_audit is append-only''; END';
CREATE TRIGGER payment_audit_no_update BEFORE UPDATE OR DELETE ON payment_audit
FOR EACH ROW EXECUTE FUNCTION payment_audit_append_only();
CREATE TABLE ledger_transactions (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  tenant_id TEXT COLLATE "C" NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  ref_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX ledger_transactions_ref ON ledger_transactions(tenant_id, ref_id);
CREATE TABLE ledger_postings (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  transaction_id TEXT COLLATE "C" NOT NULL,
  account TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  amount BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX ledger_postings_account ON ledger_postings(tenant_id, account, currency);
CREATE INDEX ledger_postings_transaction ON ledger_postings(transaction_id);
CREATE TABLE ledger_balances (
  tenant_id TEXT COLLATE "C" NOT NULL,
  account TEXT COLLATE "C" NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  balance BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, account, currency)
);
CREATE TABLE psp_events (
  provider_id TEXT COLLATE "C" NOT NULL,
  event_id TEXT COLLATE "C" NOT NULL,
  tenant_id TEXT COLLATE "C" NOT NULL,
  outcome TEXT COLLATE "C" NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (provider_id, event_id)
);
CREATE TABLE sandbox_psp_payments (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  provider_id TEXT COLLATE "C" NOT NULL,
  payment_id TEXT COLLATE "C" NOT NULL,
  amount BIGINT NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  method TEXT COLLATE "C",
  status TEXT COLLATE "C" NOT NULL,
  refunded BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX sandbox_psp_payments_provider ON sandbox_psp_payments(tenant_id, provider_id);
)SQL"},
      // Store credit spent at checkout: how much of a payment was paid from the customer's credit
      // (the provider is asked for the rest), and how much of a refund went back to credit.
      {21, "payments_store_credit",
       R"SQL(
ALTER TABLE payments ADD COLUMN credit_applied INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN credit_amount INTEGER NOT NULL DEFAULT 0;
)SQL",
       R"SQL(
ALTER TABLE payments ADD COLUMN credit_applied BIGINT NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN credit_amount BIGINT NOT NULL DEFAULT 0;
)SQL"},
      // The sandbox PSP's own record of the payouts it made (what `bottega reconcile` compares
      // Bottega's payouts with).
      {22, "sandbox_psp_payouts",
       R"SQL(
CREATE TABLE sandbox_psp_payouts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  provider_id TEXT NOT NULL,
  payout_id TEXT NOT NULL UNIQUE,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX sandbox_psp_payouts_provider ON sandbox_psp_payouts(tenant_id, provider_id);
)SQL",
       R"SQL(
CREATE TABLE sandbox_psp_payouts (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant_id TEXT COLLATE "C" NOT NULL,
  provider_id TEXT COLLATE "C" NOT NULL,
  payout_id TEXT COLLATE "C" NOT NULL UNIQUE,
  amount BIGINT NOT NULL,
  currency TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX sandbox_psp_payouts_provider ON sandbox_psp_payouts(tenant_id, provider_id);
)SQL"},
  };
  return kMigrations;
}

}  // namespace bottega::store
