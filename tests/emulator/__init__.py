"""GovReply package."""
