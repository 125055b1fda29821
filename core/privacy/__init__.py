"""What is removed from a message before a volunteer sees it in the inbox."""
