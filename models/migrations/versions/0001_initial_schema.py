"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 07:15:14.333724

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=16), nullable=True),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('categories', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=True),
    sa.Column('screen', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.CheckConstraint("outcome IN ('allowed', 'denied')", name=op.f('ck_audit_events_outcome_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_actor_at', ['actor_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_at', ['at'], unique=False)
        batch_op.create_index('ix_audit_events_member_at', ['member_id', 'at'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('failed_logins >= 0', name=op.f('ck_users_failed_logins_non_negative')),
    sa.CheckConstraint('username = lower(username)', name=op.f('ck_users_username_lowercase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('local_date', sa.Date(), nullable=False),
    sa.Column('mood', sa.Integer(), nullable=False),
    sa.Column('craving', sa.Integer(), nullable=False),
    sa.Column('used_substances', sa.Boolean(), nullable=False),
    sa.Column('meetings', sa.Integer(), nullable=False),
    sa.Column('prayer_meditation', sa.Boolean(), nullable=False),
    sa.Column('called_support', sa.Boolean(), nullable=False),
    sa.Column('read_literature', sa.Boolean(), nullable=False),
    sa.Column('step_work', sa.Boolean(), nullable=False),
    sa.Column('sleep_hours', sa.Float(), nullable=True),
    sa.Column('gratitude', sa.Text(), nullable=True),
    sa.Column('journal', sa.Text(), nullable=True),
    sa.Column('hard_day', sa.Boolean(), nullable=False),
    sa.Column('hard_day_reason', sa.Text(), nullable=True),
    sa.Column('is_late', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('craving BETWEEN 0 AND 10', name=op.f('ck_checkins_craving_range')),
    sa.CheckConstraint('meetings BETWEEN 0 AND 10', name=op.f('ck_checkins_meetings_range')),
    sa.CheckConstraint('mood BETWEEN 1 AND 5', name=op.f('ck_checkins_mood_range')),
    sa.CheckConstraint('sleep_hours IS NULL OR (sleep_hours >= 0 AND sleep_hours <= 24)', name=op.f('ck_checkins_sleep_range')),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_checkins_member_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
    sa.UniqueConstraint('member_id', 'local_date', name='uq_checkins_member_day')
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_local_date', ['local_date'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('share_checkins', sa.Boolean(), nullable=False),
    sa.Column('share_steps', sa.Boolean(), nullable=False),
    sa.Column('share_flags', sa.Boolean(), nullable=False),
    sa.Column('share_notes', sa.Boolean(), nullable=False),
    sa.Column('signature_name', sa.String(length=120), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('revocation_acknowledged', sa.Boolean(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("purpose IN ('sponsorship', 'counseling')", name=op.f('ck_consents_purpose_known')),
    sa.CheckConstraint('expires_at > starts_at', name=op.f('ck_consents_expires_after_start')),
    sa.CheckConstraint('length(trim(signature_name)) > 0', name=op.f('ck_consents_signed')),
    sa.CheckConstraint('member_id <> recipient_id', name=op.f('ck_consents_not_to_self')),
    sa.CheckConstraint('revocation_acknowledged', name=op.f('ck_consents_revocation_acknowledged')),
    sa.CheckConstraint('share_checkins OR share_steps OR share_flags OR share_notes', name=op.f('ck_consents_at_least_one_category')),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_consents_member_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_consents_recipient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_consents_revoked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index('ix_consents_member', ['member_id'], unique=False)
        batch_op.create_index('ix_consents_recipient_member', ['recipient_id', 'member_id'], unique=False)

    op.create_table('member_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sobriety_date', sa.Date(), nullable=False),
    sa.Column('home_group', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_member_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_member_profiles'))
    )
    op.create_table('sobriety_date_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('previous_date', sa.Date(), nullable=False),
    sa.Column('new_date', sa.Date(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_sobriety_date_changes_member_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sobriety_date_changes'))
    )
    with op.batch_alter_table('sobriety_date_changes', schema=None) as batch_op:
        batch_op.create_index('ix_sobriety_date_changes_member', ['member_id', 'changed_at'], unique=False)

    op.create_table('step_progress',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(status = 'not_started' AND started_on IS NULL AND completed_on IS NULL) OR (status = 'in_progress' AND started_on IS NOT NULL AND completed_on IS NULL) OR (status = 'completed' AND started_on IS NOT NULL AND completed_on IS NOT NULL AND completed_on >= started_on)", name=op.f('ck_step_progress_dates_match_status')),
    sa.CheckConstraint("status IN ('not_started', 'in_progress', 'completed')", name=op.f('ck_step_progress_status_known')),
    sa.CheckConstraint('step BETWEEN 1 AND 12', name=op.f('ck_step_progress_step_range')),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_step_progress_member_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'step', name=op.f('pk_step_progress'))
    )
    op.create_table('user_roles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.CheckConstraint("role IN ('member', 'sponsor', 'counselor', 'admin')", name=op.f('ck_user_roles_role_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_roles'))
    )
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.create_index('ix_user_roles_role', ['role'], unique=False)

    op.create_table('weekly_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('iso_week', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(iso_week) = 8', name=op.f('ck_weekly_reviews_iso_week_form')),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_weekly_reviews_member_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_weekly_reviews_reviewer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_reviews')),
    sa.UniqueConstraint('reviewer_id', 'member_id', 'iso_week', name='uq_weekly_reviews_week')
    )
    with op.batch_alter_table('weekly_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_weekly_reviews_member', ['member_id', 'iso_week'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('episode_key', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('quoted_text', sa.Text(), nullable=True),
    sa.Column('checkin_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('outreach_method', sa.String(length=16), nullable=True),
    sa.Column('outreach_note', sa.Text(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(status = 'resolved') = (resolved_at IS NOT NULL)", name=op.f('ck_flags_resolved_has_time')),
    sa.CheckConstraint("outreach_method IS NULL OR outreach_method IN ('called', 'texted', 'met', 'other')", name=op.f('ck_flags_outreach_known')),
    sa.CheckConstraint("severity IN ('low', 'medium', 'high')", name=op.f('ck_flags_severity_known')),
    sa.CheckConstraint("status = 'open' OR acknowledged_at IS NOT NULL", name=op.f('ck_flags_acknowledged_before_closed')),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name=op.f('ck_flags_status_known')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_flags_acknowledged_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], name=op.f('fk_flags_checkin_id_checkins'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_flags_member_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_flags_resolved_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags')),
    sa.UniqueConstraint('member_id', 'rule_id', 'episode_key', name='uq_flags_episode')
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_member_status', ['member_id', 'status'], unique=False)
        batch_op.create_index('ix_flags_status_severity', ['status', 'severity'], unique=False)

    


def downgrade() -> None:
    """Downgrade schema."""
    
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_status_severity')
        batch_op.drop_index('ix_flags_member_status')

    op.drop_table('flags')
    with op.batch_alter_table('weekly_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_weekly_reviews_member')

    op.drop_table('weekly_reviews')
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_index('ix_user_roles_role')

    op.drop_table('user_roles')
    op.drop_table('step_progress')
    with op.batch_alter_table('sobriety_date_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_sobriety_date_changes_member')

    op.drop_table('sobriety_date_changes')
    op.drop_table('member_profiles')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_recipient_member')
        batch_op.drop_index('ix_consents_member')

    op.drop_table('consents')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_local_date')

    op.drop_table('checkins')
    op.drop_table('users')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_member_at')
        batch_op.drop_index('ix_audit_events_at')
        batch_op.drop_index('ix_audit_events_actor_at')

    op.drop_table('audit_events')
    
