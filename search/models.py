"""The search index: one row per submitted proposal (drafts are never
indexed), the terms as space-joined text (read back for ranking and similar
proposals), and where the database searches them:

- PostgreSQL: two tsvector columns built in the application (never by a
  text search parser, so the database's locale does not matter), each with
  a GIN index. Weights say where a term came from: A title, B other public
  fields, C organisation name, D staff-only fields; a public search asks for
  A-C only.
- SQLite: the FTS5 table `search_fts` (created by the migration, rowid =
  proposal id) over the same terms, public and staff columns apart. The
  tsvector columns exist there as unused text (one schema for both).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import UTCDateTime, utcnow
from core.extensions import db

TSVector = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
FTS_TABLE = "search_fts"
FTS_COLUMNS = ("public_terms", "staff_terms", "public_grams", "staff_grams")


class SearchDocument(db.Model):
    __tablename__ = "search_documents"

    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True,
                                             autoincrement=False)
    title_terms: Mapped[str] = mapped_column(sa.Text, default="")
    body_terms: Mapped[str] = mapped_column(sa.Text, default="")
    organisation_terms: Mapped[str] = mapped_column(sa.Text, default="")
    staff_terms: Mapped[str] = mapped_column(sa.Text, default="")
    name_grams: Mapped[str] = mapped_column(sa.Text, default="")
    themes: Mapped[str] = mapped_column(sa.Text, default="")
    terms_vector = mapped_column(TSVector, nullable=True)
    grams_vector = mapped_column(TSVector, nullable=True)
    public_terms_vector = mapped_column(TSVector, nullable=True)
    public_grams_vector = mapped_column(TSVector, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (
        sa.Index("ix_search_documents_terms_vector", "terms_vector", postgresql_using="gin"),
        sa.Index("ix_search_documents_grams_vector", "grams_vector", postgresql_using="gin"),
        sa.Index("ix_search_documents_public_terms_vector", "public_terms_vector", postgresql_using="gin"),
        sa.Index("ix_search_documents_public_grams_vector", "public_grams_vector", postgresql_using="gin"),
    )


class SearchTerm(db.Model):
    """Document frequencies (for IDF), recomputed by `flask search reindex`
    and the nightly refresh: kind "w" for words and concepts, "g" for bigrams.
    A term newer than the last refresh counts as rare (df 0)."""

    __tablename__ = "search_terms"

    kind: Mapped[str] = mapped_column(sa.String(1), primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    df: Mapped[int] = mapped_column(default=0)
