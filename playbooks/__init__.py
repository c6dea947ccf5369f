"""The default playbooks shipped with webcare: copy this folder, edit, and point
`[engine] playbooks_dir` at your copy."""
